import { describe, expect, it } from 'vitest';
import { countItems, deployRecordSchema, endedByCancel, type DeployRecord, type RecordItem } from '../../src/deploy/record.js';
import { createCancellation, type TrackedTenant } from '../../src/main/cancellation.js';

/** A tenant whose cancel report is counted, and whose run stops by itself or not */
function tenant(stops: boolean) {
  const reports: string[] = [];
  const tracked: TrackedTenant = {
    stopsOnSignal: async () => stops,
    reportCancel: async (signal) => {
      reports.push(`cancel ${signal}`);
    },
  };
  return { tracked, reports };
}

const times = { ownEndMs: 300, deadlineMs: 1_000 };

describe('a cancelled run reports each tenant once', () => {
  it('an apply that stops by itself in time reports itself; the cancel report is not sent', async () => {
    const c = createCancellation(times);
    const t = tenant(true);
    const run = c.track('contoso', t.tracked);
    const cancelled = c.cancel('SIGTERM');
    expect(c.signal.aborted).toBe(true);
    // The apply sees the signal, stops, and reports its finished record
    await new Promise((r) => setTimeout(r, 20));
    await run.report(async () => t.reports.push('own'));
    run.end();
    await cancelled;
    expect(t.reports).toEqual(['own']);
  });

  it('an apply that cannot stop in time (a write unanswered) is reported from its record, and its own late report is dropped', async () => {
    const c = createCancellation(times);
    const t = tenant(true);
    const run = c.track('contoso', t.tracked);
    await c.cancel('SIGINT');
    expect(t.reports).toEqual(['cancel SIGINT']);
    await run.report(async () => t.reports.push('own'));
    run.end();
    expect(t.reports).toEqual(['cancel SIGINT']);
  });

  it('a run that does not stop on the signal (a sync) is reported at once, without waiting for it', async () => {
    const c = createCancellation({ ownEndMs: 60_000, deadlineMs: 60_000 });
    const t = tenant(false);
    c.track('contoso', t.tracked);
    await c.cancel('SIGTERM');
    expect(t.reports).toEqual(['cancel SIGTERM']);
  });

  it('a second signal (the runner\'s SIGTERM after its SIGINT) is the same cancel', async () => {
    const c = createCancellation(times);
    const t = tenant(false);
    c.track('contoso', t.tracked);
    const first = c.cancel('SIGINT');
    const second = c.cancel('SIGTERM');
    expect(second).toBe(first);
    await second;
    expect(t.reports).toEqual(['cancel SIGINT']);
  });

  it('a tenant that ended before the signal is not reported again; the others are', async () => {
    const c = createCancellation(times);
    const done = tenant(false);
    const busy = tenant(false);
    const finished = c.track('fabrikam', done.tracked);
    await finished.report(async () => done.reports.push('own'));
    finished.end();
    c.track('contoso', busy.tracked);
    await c.cancel('SIGTERM');
    expect(done.reports).toEqual(['own']);
    expect(busy.reports).toEqual(['cancel SIGTERM']);
  });

  it('ends by the deadline even when a report never finishes', async () => {
    const c = createCancellation({ ownEndMs: 50, deadlineMs: 200 });
    c.track('contoso', { stopsOnSignal: async () => true, reportCancel: () => new Promise(() => {}) });
    await expect(c.cancel('SIGTERM')).resolves.toBeUndefined();
  });
});

function record(status: DeployRecord['status'], results: RecordItem['result'][]): DeployRecord {
  const items: RecordItem[] = results.map((result, i) => ({ type: 'namedLocations', name: `location ${i}`, file: `location ${i}`, action: 'update', id: `id-${i}`, result, requests: [] }));
  return deployRecordSchema.parse({ version: 1, tenant: 'contoso', planHash: 'h', approval: null, startedAt: '2026-11-23T10:00:00.000Z', finishedAt: null, status, items, counts: countItems(items) });
}

describe('the record of an apply cancelled before it could finish it', () => {
  const at = new Date('2026-11-23T10:00:05.000Z');

  it('is cancelled and finished when a change was pending or had a write in flight', () => {
    for (const results of [['applied', 'pending'], ['in-progress', 'pending'], ['applied', 'in-progress']] as RecordItem['result'][][]) {
      const ended = endedByCancel(record('running', results), at);
      expect(ended, results.join()).toMatchObject({ status: 'cancelled', finishedAt: '2026-11-23T10:00:05.000Z' });
      expect(ended.items.map((i) => i.result)).toEqual(results);
    }
  });

  it('takes the outcome of its items when every change had ended', () => {
    expect(endedByCancel(record('running', ['applied', 'skipped']), at).status).toBe('succeeded');
    expect(endedByCancel(record('running', ['applied', 'failed']), at).status).toBe('partial');
  });

  it('leaves a record the apply had finished as it is', () => {
    const finished = { ...record('cancelled', ['applied', 'pending']), finishedAt: '2026-11-23T10:00:01.000Z' };
    expect(endedByCancel(finished, at)).toBe(finished);
  });
});
