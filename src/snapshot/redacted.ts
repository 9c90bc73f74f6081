import type { ResourceDefinition } from '../resources/definition.js';
import { resolvePath } from './paths.js';

/**
 * Values that Graph returns redacted or encrypted (secrets, such as an encrypted OMA-URI setting's
 * value) are dropped from what a backup writes and from every request body: they never land in the
 * repository and are never deployed as literals.
 */
/** Removes redacted values from `obj` (mutates it); returns their concrete paths. */
export function dropRedacted(def: ResourceDefinition, obj: unknown): string[] {
  const dropped: string[] = [];
  for (const rule of def.write?.redacted ?? []) {
    const path = typeof rule === 'string' ? rule : rule.path;
    for (const visit of resolvePath(obj, path)) {
      if (visit.kind !== 'property') continue;
      if (typeof rule !== 'string' && visit.container[rule.when.field] !== rule.when.equals) continue;
      delete visit.container[visit.key];
      dropped.push(visit.at);
    }
  }
  return dropped;
}

/** A copy of the object without its redacted values */
