import { z } from 'zod';
import { TenantSyncError } from '../errors/index.js';
import type { Plan } from '../reconcile/index.js';
import { sha256Schema } from '../reconcile/index.js';
import { branches, labels, type RepoContext } from './context.js';

/**
 * What tenant-sync wrote into the approval pull request's body, in an HTML comment: which plan
 * (its hash) and which commit of the approval branch it was made for. Apply refuses a pull request
 * whose head or plan no longer match it: someone pushed to the approval branch after the plan.
 */
export const approvalMarkerSchema = z.object({
  tenant: z.string(),
  planHash: sha256Schema,
  head: z.string().regex(/^[0-9a-f]{40,64}$/),
});
export type ApprovalMarker = z.infer<typeof approvalMarkerSchema>;

const MARKER = 'tenant-sync:approval';
/** The non-breaking space French puts before : ; ? ! */
const NB = '\u00a0';
const markerPattern = new RegExp(`<!-- ${MARKER} (\\{[^\\n]*\\}) -->`);

/** Where the plan is kept on the approval branch (and so on the state branch's merge commit) */
export function planPath(tenant: string): string {
  return `.tenant-sync/${tenant}/plan.json`;
}

export function approvalTitle(tenant: string, plan: Plan, language: 'en' | 'fr' = 'en'): string {
  const c = plan.counts;
  if (language === 'fr') {
    const s = (n: number) => (n === 1 ? '' : 's');
    const parts = [
      c.creates && `${c.creates} à créer`,
      c.updates && `${c.updates} à mettre à jour`,
      c.deletes && `${c.deletes} à supprimer`,
      c.conflicts && `${c.conflicts} conflit${s(c.conflicts)}`,
      c.errors && `${c.errors} erreur${s(c.errors)}`,
      c.held && `${c.held} suppression${s(c.held)} retenue${s(c.held)}`,
    ].filter(Boolean);
    return `tenant-sync${NB}: modifications de ${tenant} (${parts.join(', ') || 'à examiner'})`;
  }
  const parts = [
    c.creates && `${c.creates} to create`,
    c.updates && `${c.updates} to update`,
    c.deletes && `${c.deletes} to delete`,
    c.conflicts && `${c.conflicts} conflict${c.conflicts === 1 ? '' : 's'}`,
    c.errors && `${c.errors} error${c.errors === 1 ? '' : 's'}`,
    c.held && `${c.held} delete${c.held === 1 ? '' : 's'} held back`,
  ].filter(Boolean);
  return `tenant-sync: changes to ${tenant} (${parts.join(', ') || 'review'})`;
}

const approvalTexts = {
  en: {
    how: (tenant: string) =>
      `**Merge** this pull request to approve: tenant-sync writes exactly this plan to \`${tenant}\`, checking each object against the tenant first. ` +
      `**Close** it to reject: nothing is written. **Close it with the label \`${labels.revert}\`** to reject and put the default branch back to the tenant's state for these objects. ` +
      'The buttons on the tenant\'s check run do the same.',
    dont: 'Do not push to this branch: change the default branch instead, and the next sync updates this pull request.',
  },
  fr: {
    how: (tenant: string) =>
      `**Fusionnez** cette demande de tirage pour approuver : tenant-sync écrit exactement ce plan dans \`${tenant}\`, après avoir vérifié chaque objet par rapport au locataire. ` +
      `**Fermez-la** pour rejeter : rien n’est écrit. **Fermez-la avec l’étiquette \`${labels.revert}\`** pour rejeter et rétablir la branche par défaut à l’état du locataire pour ces objets. ` +
      'Les boutons de l’exécution de vérification du locataire font de même.',
    dont: 'Ne poussez rien sur cette branche : modifiez plutôt la branche par défaut ; la synchronisation suivante mettra à jour cette demande de tirage.',
  },
} as const;

export function approvalBody(planMarkdown: string, marker: ApprovalMarker, language: 'en' | 'fr' = 'en'): string {
  const t = approvalTexts[language];
  return [planMarkdown.trimEnd(), '', '---', t.how(marker.tenant), '', t.dont, '', `<!-- ${MARKER} ${JSON.stringify(marker)} -->`, ''].join('\n');
}

export function readApprovalMarker(body: string | null | undefined): ApprovalMarker | undefined {
  const match = body?.match(markerPattern);
  if (!match) return undefined;
  try {
    const parsed = approvalMarkerSchema.safeParse(JSON.parse(match[1]!));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The fields of a pull_request event's `pull_request` that decide what a closed pull request means */
export const closedPullRequestSchema = z.object({
  number: z.number().int(),
  html_url: z.string(),
  state: z.string(),
  merged: z.boolean().nullable().optional(),
  merge_commit_sha: z.string().nullable().optional(),
  body: z.string().nullable().optional(),
  labels: z.array(z.object({ name: z.string() })).default([]),
  merged_by: z.object({ login: z.string() }).nullable().optional(),
  head: z.object({ ref: z.string(), sha: z.string(), repo: z.object({ full_name: z.string() }).nullable() }),
  base: z.object({ ref: z.string(), sha: z.string(), repo: z.object({ full_name: z.string() }) }),
});
export type ClosedPullRequest = z.infer<typeof closedPullRequestSchema>;

export type Review =
  | { kind: 'apply'; tenant: string; pr: ClosedPullRequest; marker: ApprovalMarker }
  | { kind: 'reject' | 'revert'; tenant: string; pr: ClosedPullRequest; marker: ApprovalMarker | undefined };

const APPROVE_PREFIX = branches.approve('');

/**
 * What a closed pull request asks for: undefined when it is not about an approval branch at all
 * (someone's own pull request); apply, reject or revert for tenant-sync's approval pull request
 * (decided by `merged` and the revert label, never by merge_commit_sha); APPROVAL_REFUSED when it
 * only looks like one (a fork, a branch into the wrong base, an unknown tenant, a body without
 * tenant-sync's marker, or an approval branch changed after the plan was made).
 */
export function reviewOf(ctx: Pick<RepoContext, 'owner' | 'repo'>, raw: unknown, tenants: readonly string[]): Review | undefined {
  const parsed = closedPullRequestSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const pr = parsed.data;
  if (!pr.head.ref.startsWith(APPROVE_PREFIX)) return undefined;
  const tenant = pr.head.ref.slice(APPROVE_PREFIX.length);
  const refuse = (why: string): never => {
    throw new TenantSyncError(
      'APPROVAL_REFUSED',
      `pull request #${pr.number} (${pr.head.ref} into ${pr.base.ref}) is not an approval tenant-sync can act on: ${why}. Nothing was written to the tenant.`,
      'Approve changes only through the pull request tenant-sync opens; change the default branch and let the next sync update it.',
    );
  };
  const fullName = `${ctx.owner}/${ctx.repo}`;
  if (pr.head.repo?.full_name !== fullName) refuse(`its head is in ${pr.head.repo?.full_name ?? 'a deleted repository'}, not ${fullName}`);
  if (!tenants.includes(tenant)) refuse(`"${tenant}" is not a tenant of tenant-sync.yml`);
  if (pr.base.ref !== branches.state(tenant)) refuse(`its base is ${pr.base.ref}, not ${branches.state(tenant)}`);
  const marker = readApprovalMarker(pr.body);
  const merged = pr.merged === true;
  if (merged) {
    if (!marker || marker.tenant !== tenant) refuse('its body does not carry the plan tenant-sync made');
    if (marker!.head !== pr.head.sha) refuse(`the approval branch was changed after the plan was made (plan for ${marker!.head.slice(0, 7)}, merged ${pr.head.sha.slice(0, 7)})`);
    return { kind: 'apply', tenant, pr, marker: marker! };
  }
  return { kind: pr.labels.some((l) => l.name === labels.revert) ? 'revert' : 'reject', tenant, pr, marker };
}
