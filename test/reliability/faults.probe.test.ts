import { it } from 'vitest';
import { scheduleEvent } from '../github/double/index.js';
import { runAction, startLifecycle } from '../lifecycle/harness.js';

it('probe', async () => {
  const lc = await startLifecycle();
  const run = await runAction(lc, await scheduleEvent(lc.gh));
  const c = lc.sim.counters();
  console.log(run.code, c.batches, c.batchItems, c.httpRequests, c.requests);
  console.log(Object.keys(await lc.gh.readTree('tenant-sync/state/contoso')).join('\n'));
  console.log(run.stdout.split('\n').filter(l => l.startsWith('::debug::')).slice(0, 40).join('\n'));
  await lc.close();
}, 120000);
