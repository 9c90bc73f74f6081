import { describe, expect, it } from 'vitest';
import { applyLevels, groupCommit, typesNeeded } from '../../src/deploy/levels.js';
import type { PlanItem } from '../../src/reconcile/plan.js';

const item = (type: string, action: PlanItem['action'], name: string): PlanItem => ({ type, action, name }) as unknown as PlanItem;

describe('applyLevels', () => {
  it('cuts the apply order into runs of one type and one action, in order', () => {
    const ordered = [
      item('assignmentFilters', 'create', 'a'),
      item('assignmentFilters', 'create', 'b'),
      item('assignmentFilters', 'update', 'c'),
      item('deviceConfigurations', 'update', 'd'),
      item('deviceConfigurations', 'update', 'e'),
      item('deviceConfigurations', 'delete', 'f'),
      item('assignmentFilters', 'delete', 'g'),
    ];
    expect(applyLevels(ordered)).toEqual([
      { start: 0, end: 2 },
      { start: 2, end: 3 },
      { start: 3, end: 5 },
      { start: 5, end: 6 },
      { start: 6, end: 7 },
    ]);
    expect(applyLevels([])).toEqual([]);
  });

  it('names the types a change needs read first: its own and the catalogue types it refers to', () => {
    expect(typesNeeded(item('deviceConfigurations', 'update', 'x'))).toEqual(['deviceConfigurations', 'assignmentFilters', 'roleScopeTags']);
    expect(typesNeeded(item('notAType', 'update', 'x'))).toEqual([]);
  });
});

describe('groupCommit', () => {
  it('never runs two writes at once, and answers each call with a write that started after it', async () => {
    let state = 0;
    let running = 0;
    let most = 0;
    const written: number[] = [];
    const write = async (): Promise<void> => {
      running++;
      most = Math.max(most, running);
      const seen = state;
      await new Promise((resolve) => setTimeout(resolve, 5));
      written.push(seen);
      running--;
    };
    const persist = groupCommit(write);
    const calls: Promise<number>[] = [];
    for (let i = 1; i <= 20; i++) {
      state = i;
      // What this caller changed (state = i) must be in the write that answers it.
      calls.push(persist().then(() => Math.max(...written)));
      if (i % 5 === 0) await new Promise((resolve) => setTimeout(resolve, 2));
    }
    const durable = await Promise.all(calls);
    durable.forEach((seen, index) => expect(seen).toBeGreaterThanOrEqual(index + 1));
    expect(most).toBe(1);
    // Grouped: fewer writes than calls
    expect(written.length).toBeLessThan(20);
  });

  it('passes a failed write to the calls it answers, and the next call writes again', async () => {
    let fail = true;
    let writes = 0;
    const persist = groupCommit(async () => {
      writes++;
      await new Promise((resolve) => setTimeout(resolve, 1));
      if (fail) throw new Error('disk full');
    });
    await expect(persist()).rejects.toThrow('disk full');
    fail = false;
    await expect(persist()).resolves.toBeUndefined();
    expect(writes).toBe(2);
  });
});
