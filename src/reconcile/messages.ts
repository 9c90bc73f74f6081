/**
 * Every string a person reads in a plan (the Markdown of the approval pull request, the message and
 * fix of an error in plan.json). Keys name the text; `{name}` placeholders are filled by `format`.
 * English here; French in messages.fr.ts, the same keys and placeholders (type `Catalogue`), picked
 * with `catalogueFor(language)` and passed to the renderers. The message and fix stored in plan.json
 * stay in English (machine-readable); a renderer in another language rebuilds them from the error's
 * `params`. Machine-readable values (kinds, codes, paths) stay in English and are not routed through
 * here.
 */
import type { Language } from '../status/index.js';
import { frenchMessages } from './messages.fr.js';
import type { PlanErrorKind } from './plan.js';

export const messages = {
  /** ':' after a word (French puts a non-breaking space before it) */
  colon: ':',
  // Header and counts
  'plan.title': 'tenant-sync plan for {tenant}',
  'plan.intro':
    'Merging this pull request deploys exactly the changes below to the tenant; each object is checked first against the version it was planned from. Closing it rejects them. Closing it with the label `tenant-sync:revert` also resets the repository to the tenant\u2019s state for these objects.',
  'plan.empty': 'Nothing to change in the tenant.',
  'plan.skipped': 'Not compared this time, nothing is proposed for them: {types}.',
  'plan.hash': 'Plan {hash}',
  'plan.artifact': 'The complete plan is in the `{artifact}` artifact.',
  'plan.truncated': 'This description was cut to stay within GitHub\u2019s size limit; the complete plan is in the `{artifact}` artifact.',
  'counts.creates': 'Creates',
  'counts.updates': 'Updates',
  'counts.deletes': 'Deletes',
  'counts.conflicts': 'Conflicts',
  'counts.errors': 'Errors',
  'counts.held': 'Held deletes',
  'counts.drift': 'Drift',

  // Sections
  'section.errors': 'Errors',
  'section.conflicts': 'Conflicts',
  'section.held': 'Deletes held back',
  'section.drift': 'Changes made in the tenant',
  'section.more': '\u2026 and {count} more; see the `{artifact}` artifact.',
  'section.omitted': '{count} entries left out to keep this description within GitHub\u2019s size limit; see the `{artifact}` artifact.',

  // Per type
  'type.summary': '{title}: {creates} to create, {updates} to update, {deletes} to delete',
  'type.namesOnly': 'Property details left out to keep this description within GitHub\u2019s size limit; see the `{artifact}` artifact.',
  'type.countsOnly': 'The list of objects is left out to keep this description within GitHub\u2019s size limit; see the `{artifact}` artifact.',

  // Items
  'action.create': 'Create',
  'action.update': 'Update',
  'action.delete': 'Delete',
  'item.renamed': 'renamed from {previous}',
  'item.remediation': 'puts back the repository\u2019s version of a change made in the tenant (drift policy remediate)',
  'item.deleteWarning': '**This object will be deleted from the tenant.**',
  'item.noChanges': 'No property changes.',
  'table.property': 'property',
  'table.before': 'before',
  'table.after': 'after',
  'value.absent': '\u2014',
  'value.truncated': '\u2026 ({length} characters, see the `{artifact}` artifact)',
  'value.root': '(object)',

  // Conflicts
  'conflict.both-changed': 'Changed in the tenant and in the repository, differently.',
  'conflict.changed-in-tenant-deleted-in-repo': 'Changed in the tenant, deleted in the repository.',
  'conflict.deleted-in-tenant-changed-in-repo': 'Deleted in the tenant, changed in the repository.',
  'conflict.created-in-both': 'Created in the tenant and in the repository, differently.',
  'conflict.name-taken': 'The repository gives it the name of another object in the tenant.',
  'conflict.fix':
    'Decide which version is right: make the file in the repository equal to the tenant\u2019s version to keep the tenant\u2019s, or change the object in the tenant back to the last recorded version to keep the repository\u2019s.',
  'conflict.tenantChanges': 'In the tenant',
  'conflict.repoChanges': 'In the repository',

  // Drift
  'drift.changed': 'changed in the tenant',
  'drift.created': 'created in the tenant',
  'drift.deleted': 'deleted in the tenant',
  'drift.adopt': 'Taken into the repository (drift policy adopt).',
  'drift.remediate': 'Proposed above to be put back to the repository\u2019s version (drift policy remediate).',
  'drift.report': 'Reported only (drift policy report): neither the repository nor the tenant is changed.',

  // Errors
  'side.desired': 'repository',
  'side.tenant': 'tenant',
  'error.duplicate-name': '{count} objects of {title} in the {side} are named {name}: {files}.',
  'error.duplicate-name.fix':
    'Give each object its own name (in the tenant, or in the repository files); until then nothing is planned for objects with this name.',
  'error.missing-reference': '{file} refers at {path} to {value} ({targetTitle}), which is not in the repository.',
  'error.missing-reference.fix': 'Correct the name, or add the object it names; until then the object is not planned.',
  'error.ambiguous-reference': '{file} refers at {path} to {value} ({targetTitle}), a name that several objects share.',
  'error.ambiguous-reference.fix': 'Give those objects distinct names; until then the object is not planned.',
  'error.still-referenced': '{title} {name} is deleted in the repository but still referred to by {referrers}.',
  'error.still-referenced.fix': 'Remove the references first, or keep the object.',
  'error.read-only': '{title} {name} is built-in, cannot be changed.',
  'error.read-only.fix': 'Restore the file to the tenant\u2019s version (built-in objects follow the tenant).',
  'error.not-writable': '{title} cannot be changed by tenant-sync; {name} differs from the tenant.',
  'error.not-writable.fix': 'Restore the file to the tenant\u2019s version, and make the change in the tenant itself.',
  'error.cannot-create': '{title} {name} cannot be created by tenant-sync.',
  'error.cannot-create.fix': 'Create the object in the tenant, or remove the file.',
  'error.cannot-delete': '{title} {name} cannot be deleted by tenant-sync.',
  'error.cannot-delete.fix': 'Restore the file, or delete the object in the tenant itself.',
  'error.type-changed': '{title} {name} would change its kind from {from} to {to}, which Graph does not allow for an existing object.',
  'error.type-changed.fix': 'Keep the tenant\u2019s `@odata.type` in the file; to change the kind, create a new object under another name and delete this one.',

  // Delete guard
  'held.message':
    'The plan would delete {count} of the {total} {title} in the tenant, more than the delete guard allows ({limit}: the larger of delete-guard.min-count {minCount} and delete-guard.max-share {share}%). All {count} deletes of this type are held back.',
  'held.fix':
    'If these deletes are intended, set delete-guard.allow: true (or raise delete-guard.max-share or delete-guard.min-count) for this tenant in tenant-sync.yml and sync again; otherwise restore the deleted files.',
} as const;

export type MessageKey = keyof typeof messages;
/** A message catalogue: every key, in one language. */
export type Catalogue = Record<MessageKey, string>;
export type MessageParams = Readonly<Record<string, string | number>>;

/** Every catalogue, by the language of `tenant-sync.yml` (`language: en | fr`). */
export const catalogues: Readonly<Record<Language, Catalogue>> = { en: messages, fr: frenchMessages };

/** The catalogue of a language; English when none is given. */
export function catalogueFor(language: Language = 'en'): Catalogue {
  return catalogues[language];
}

export { frenchMessages };

/** The text of `key` with its `{placeholders}` filled; unknown placeholders stay as written. */
export function format(key: MessageKey, params: MessageParams = {}, catalogue: Catalogue = messages): string {
  return catalogue[key].replace(/\{(\w+)\}/g, (whole, name: string) =>
    Object.prototype.hasOwnProperty.call(params, name) ? String(params[name]) : whole,
  );
}

/** How a parameter is shown: plain text quotes names and values; Markdown uses code spans. */
export type Decorate = (key: string, value: string | number) => string;

/** Plain text (plan.json, logs): names and referenced values in quotes. */
export const plainText: Decorate = (key, value) =>
  typeof value === 'string' && (key === 'name' || key === 'value') ? `\u2018${value}\u2019` : String(value);

/** Plain text in French: names and referenced values in « guillemets », with non-breaking spaces inside. */
export const frenchPlainText: Decorate = (key, value) =>
  typeof value === 'string' && (key === 'name' || key === 'value') ? `\u00ab\u00a0${value}\u00a0\u00bb` : String(value);

/** The plain-text decoration that fits a catalogue's language */
function plainTextFor(catalogue: Catalogue): Decorate {
  return catalogue === frenchMessages ? frenchPlainText : plainText;
}

function decorateAll(params: MessageParams, decorate: Decorate): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(params)) out[key] = decorate(key, value);
  return out;
}

/** The message and fix of a plan error, from its kind and params (see PlanError). */
export function errorTexts(
  kind: PlanErrorKind,
  side: 'desired' | 'tenant',
  params: MessageParams,
  catalogue: Catalogue = messages,
  decorate: Decorate = plainTextFor(catalogue),
): { message: string; fix: string } {
  const all = { ...decorateAll(params, decorate), side: format(`side.${side}`, {}, catalogue) };
  return { message: format(`error.${kind}`, all, catalogue), fix: format(`error.${kind}.fix`, all, catalogue) };
}

/** The message and fix of deletes held back by the delete guard. */
export function heldTexts(
  params: MessageParams,
  catalogue: Catalogue = messages,
  decorate: Decorate = plainTextFor(catalogue),
): { message: string; fix: string } {
  const all = decorateAll(params, decorate);
  return { message: format('held.message', all, catalogue), fix: format('held.fix', all, catalogue) };
}
