import { it } from 'vitest';
import { scheduleEvent, webhookExample } from '../github/double/index.js';
import { runAction, startLifecycle } from '../lifecycle/harness.js';

it('timing', async () => {
  const lc = await startLifecycle({ sim: { throttling: false } });
  const ev = await scheduleEvent(lc.gh);
  for (const command of ['', '', 'sync', 'backup', 'matrix', 'validate', 'status', 'plan', 'apply', 'reject']) {
    const t = Date.now();
    const r = await runAction(lc, ev, command ? { command } : {});
    console.log(command || '(default)', Date.now() - t, 'ms', r.code, r.stdout.split('\n').filter(l => /::error|USAGE|Nothing/.test(l)).slice(0,2).join(' | '));
  }
  const rel = { name: 'release', payload: webhookExample('release', 'published'), ref: 'refs/heads/main', sha: ev.sha };
  const r = await runAction(lc, rel);
  console.log('release', r.code, r.stdout);
  await lc.close();
}, 300_000);
