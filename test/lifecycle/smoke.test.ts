import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scheduleEvent } from '../github/double/index.js';
import { runAction, startLifecycle, statusesOf, type Lifecycle } from './harness.js';

let lc: Lifecycle;
beforeAll(async () => {
  lc = await startLifecycle();
});
afterAll(async () => {
  await lc?.close();
});

describe('smoke', () => {
  it('first sync', async () => {
    const run = await runAction(lc, await scheduleEvent(lc.gh));
    console.log(run.stdout, run.stderr);
    console.log(JSON.stringify(lc.gh.problems(), null, 1).slice(0, 3000));
    console.log(lc.gh.branches());
    expect(statusesOf(run)).toEqual(['Starting', 'In progress', 'Idle']);
  });
});
