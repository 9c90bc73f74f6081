import type { PlanItem } from '../reconcile/plan.js';
import { findResource } from '../resources/catalogue.js';

/**
 * How an apply runs several changes at once: the levels of the apply order whose changes do not
 * depend on each other, and the deploy record's writes grouped so that concurrent changes never
 * interleave them and each change's record is durable before it goes on.
 */

/** Changes of one level are under way at once, at most this many */
export const ITEMS_AT_ONCE = 16;

/**
 * The ordered items (applyOrder) cut into levels: each a run of changes of one type and one
 * action. Different types may depend on each other (a policy names a filter created before it);
 * the changes of one level do not, so they can be applied at once.
 */
export function applyLevels(ordered: readonly PlanItem[]): { start: number; end: number }[] {
  const levels: { start: number; end: number }[] = [];
  for (let i = 0; i < ordered.length; i++) {
    const last = levels[levels.length - 1];
    const prev = ordered[i - 1];
    if (last && prev && prev.type === ordered[i]!.type && prev.action === ordered[i]!.action) last.end = i + 1;
    else levels.push({ start: i, end: i + 1 });
  }
  return levels;
}

/** The types a change needs read before it starts: its own and the catalogue types it refers to */
export function typesNeeded(item: PlanItem): string[] {
  const def = findResource(item.type);
  if (!def) return [];
  return [def.type, ...def.references.map((r) => r.target).filter((t) => findResource(t) !== undefined)];
}

/**
 * Serialises an async write and groups the requests for it: a call made while a write is under
 * way is answered by the next write, which starts when that one ends and serves every call made
 * in the meantime.
 */
export function groupCommit(write: () => Promise<void>): () => Promise<void> {
  let running: Promise<void> | undefined;
  let next: Promise<void> | undefined;
  const start = (): Promise<void> => {
    const run = write().finally(() => {
      if (running === run) running = undefined;
    });
    running = run;
    return run;
  };
  return () => {
    if (next) return next;
    if (!running) return start();
    next = running
      .catch(() => undefined)
      .then(() => {
        next = undefined;
        return start();
      });
    return next;
  };
}
