import type { ResourceDefinition } from '../resources/definition.js';
import { normaliseObject } from './normalise.js';
import { dropRedacted } from './redacted.js';
import { replaceIdsWithNamesInPlace, type replaceIdsWithNames } from './references.js';

/**
 * A Graph object as its file holds it: normalised, redacted values dropped, references by name.
 * The one pipeline behind a backup's files and deploy's comparisons with them (a plan's tenantHash
 * is the hash of exactly this).
 */
export function toFileObject(
  def: ResourceDefinition,
  raw: unknown,
  nameOf: (target: string, id: string) => string | undefined,
): ReturnType<typeof replaceIdsWithNames> {
  const normalised = normaliseObject(def, raw);
  dropRedacted(def, normalised);
  // normalised is a fresh copy: its references are replaced in place.
  return replaceIdsWithNamesInPlace(def, normalised, nameOf);
}
