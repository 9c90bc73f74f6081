import type { Language } from '../status/index.js';
import type { DeployStatus } from '../deploy/record.js';

/**
 * Every sentence the GitHub lifecycle shows a person (notes in the summary and on the dashboard,
 * pull request comments, the report's headings), in English and French. The French catalogue has
 * the type of the English one, so a missing sentence fails the type check.
 */
const en = {
  baseSkipsMerge: (branch: string, sha: string) => `${branch} ends in a merged plan that was not applied; the comparison starts from ${sha}, the last recorded state.`,
  firstSync: (branch: string) => `First sync: ${branch} is created with the tenant's configuration.`,
  backupCommitted: (branch: string, sha: string) => `The backup was committed to ${branch} (${sha}).`,
  nothingChanged: () => 'Nothing changed in the tenant: no commit.',
  consentBlocksApproval: () => 'Changes are waiting, but nothing is proposed for approval until an administrator grants the missing permissions.',
  adopted: (count: number, branch: string, sha: string) => `${count} change(s) made in the tenant were adopted onto ${branch} (${sha}).`,
  adoptionProposed: (count: number, branch: string, pr: number) => `${count} change(s) made in the tenant are proposed for ${branch} in #${pr} (the branch is protected).`,
  adoptionPending: (pr: number, branch: string) => `The tenant's changes waiting in #${pr} (${branch} is protected) count as desired until it is merged.`,
  adoptionHeld: (title: string, name: string, tenantName: string | null, branch: string, referrers: string, reason: 'still-named' | 'names-missing') =>
    `${title} ‘${name}’ (${tenantName === null ? 'deleted' : tenantName === name ? 'changed' : `renamed to ‘${tenantName}’`} in the tenant) was not adopted onto ${branch} yet: ${reason === 'still-named' ? `${referrers} on ${branch} still name it` : `it names ${referrers}, which ${branch} does not have yet`}. It stays reported as drift and is adopted once ${reason === 'still-named' ? 'they can be read or are settled' : 'that is settled'}.`,
  adoptionGaveUp: (branch: string) => `${branch} changed the same files while the tenant's changes were adopted; nothing was forced. The tenant's changes stay recorded as not adopted: the next sync adopts them again, or shows them as conflicts where ${branch} changed them too.`,
  approvalClosed: (pr: number) => `#${pr} was closed: nothing awaits approval any more.`,
  approvalClosedComment: (tenant: string, branch: string) =>
    `Nothing awaits approval for ${tenant} any more: the tenant and ${branch} agree. tenant-sync closed this pull request; nothing was written to the tenant.`,
  planRejectedBefore: (pr: number, branch: string) => `This plan was rejected in #${pr}; it is not proposed again until the tenant or ${branch} changes.`,
  approvalOpened: (pr: number) => `Opened #${pr} for approval.`,
  awaitingApproval: (tenant: string, pr: number) => `Changes to ${tenant} await approval in #${pr}.`,
  approvedMeanwhile: () => 'The plan was approved while this sync ran; its apply deploys it.',
  approvalUnchanged: (pr: number) => `#${pr} already shows this plan.`,
  approvalUpdated: (pr: number) => `Updated #${pr} with the new plan.`,
  stateAfterDeploy: (branch: string, sha: string) => `The tenant's state after the deploy was committed to ${branch} (${sha}).`,
  closedByUs: (pr: number) => `#${pr} was closed by tenant-sync because nothing awaited approval any more.`,
  rejectedComment: (tenant: string, branch: string, label: string) =>
    `Rejected: nothing was written to **${tenant}**. The change stays on ${branch}; this plan is not proposed again until the tenant or ${branch} changes. To also put ${branch} back to the tenant's state, reopen this pull request and close it with the label \`${label}\`.`,
  rejected: (pr: number) => `#${pr} was rejected; nothing was written to the tenant.`,
  revertNotAllowedComment: (tenant: string, label: string, who: string, branch: string) =>
    `Rejected: nothing was written to **${tenant}**. The label \`${label}\` was not acted on: ${who} has no write access, so ${branch} was left as it is.`,
  revertNotAllowed: (pr: number, who: string) => `#${pr} was rejected; the revert was not made because ${who} has no write access.`,
  reverted: (branch: string, count: number, sha: string) => `${branch} was put back to the tenant's state for the ${count} object(s) of the plan (${sha}).`,
  revertUnchanged: (branch: string) => `${branch} already holds the tenant's state for these objects.`,
  revertProposed: (branch: string, pr: number) => `${branch} is protected: the revert is proposed in #${pr}.`,
  revertedComment: (tenant: string, where: string) => `Rejected and reverted: nothing was written to **${tenant}**. ${where}`,
  deployed: (tenant: string) => `Deployed to **${tenant}**: every change of the plan was applied and read back.`,
  deployedPartly: (tenant: string, applied: number, failed: number, stale: number, unverified: number) =>
    `Deployed to **${tenant}** in part: ${applied} applied, ${failed} failed, ${stale} stale, ${unverified} unverified.`,
  deployedNothing: (tenant: string, why: string) => `Nothing was deployed to **${tenant}**${why ? `: ${why}` : '.'}`,
  deployCancelled: (tenant: string, applied: number, items: number) =>
    `The deploy to **${tenant}** was cancelled: ${applied} of ${items} change(s) applied, the others not started.`,
  deployRest: () => 'Objects that were not applied stay on the default branch; the next sync proposes them again.',
  deployTable: () => ['result', 'change', 'object', 'note'] as readonly string[],
  // The report (check run, job summary, report.md)
  signInRequested: (uri: string, code: string, until: string) => `Sign-in was requested: at ${uri} enter the code \`${code}\` (valid until ${until}).`,
  signInNeeded: (uri: string, code: string, until: string) => `Sign-in is needed for the types only a user can read: at ${uri} enter the code \`${code}\` before ${until}.`,
  permissionsMissing: (list: string) => `Permissions the configuration needs are not granted: ${list}.`,
  consentHere: (url: string, delegatedUrl?: string) =>
    `An administrator grants them here: [admin consent](${url})${delegatedUrl ? `, and for the delegated client: [admin consent](${delegatedUrl})` : ''}. Nothing is written to the tenant until then.`,
  fix: () => 'Fix',
  troubleshooting: () => 'Troubleshooting',
  /** The label of a translated error's generic fix (errorTexts.ts; English shows the error's own fix) */
  whatToDo: () => 'What to do',
  /** The label of an error's own message and fix, verbatim, under its translated title (errorTexts.ts) */
  technicalDetail: () => 'Technical detail',
  planLine: (c: { creates: number; updates: number; deletes: number; conflicts: number; errors: number; held: number; drift: number }) =>
    `Plan: ${c.creates} to create, ${c.updates} to update, ${c.deletes} to delete, ${c.conflicts} conflict(s), ${c.errors} error(s), ${c.held} delete(s) held back, ${c.drift} drift.`,
  deployLine: (status: string, c: { applied: number; failed: number; stale: number; unverified: number; skipped: number; requests: number }) =>
    `Deploy: ${status}; ${c.applied} applied, ${c.failed} failed, ${c.stale} stale, ${c.unverified} unverified, ${c.skipped} already as planned; ${c.requests} write request(s).`,
  problemsTable: () => ['object', 'result', 'error'] as readonly string[],
  backupTable: () => ['type', 'status', 'objects', 'files written', 'removed', 'note'] as readonly string[],
  needs: (permission: string) => `needs \`${permission}\``,
  totals: (objects: number, written: number, removed: number, graph: number, http: number, retries: number, throttled: number, seconds: string) =>
    `${objects} objects, ${written} files written, ${removed} removed; ${graph} Graph requests (${http} HTTP), ${retries} retries, ${throttled} throttled; ${seconds} s.`,
  linkApproval: () => 'Approval pull request',
  linkJob: () => 'View job',
  linkArtifacts: () => 'Artifacts: report, plan, deploy record, log',
  /** The heading of a tenant's report: `<tenant>: <status>` */
  heading: (tenant: string, status: string) => `${tenant}: ${status}`,
  /** ':' after a word (French puts a non-breaking space before it) */
  colon: () => ':',
  /** The check run's summary when Approve was pressed but GitHub refused the merge */
  mergeRefused: (who: string, pr: number, why: string) =>
    `Approve was pressed by ${who}, but GitHub refused to merge #${pr}: ${why}\n\nNothing was applied. Get the reviews the branch needs, then approve again.`,
  // The failures (check run annotations, the dashboard's section) and the dashboard's one-line summary
  typeNotBackedUp: (title: string, code: string) => `${title}: not backed up (${code})`,
  notRead: () => 'not read',
  typeUnreadable: () => 'The type could not be read.',
  filesKept: (message: string, docs: string) => `${message} Its files were kept as they were.${docs ? ` See ${docs}` : ''}`,
  reportLine: (ok: number, types: number, objects: number, written: number, removed: number) =>
    `${ok}/${types} types, ${objects} objects, ${written} files written, ${removed} removed.`,
  notBackedUp: (list: string) => `Not backed up: ${list}.`,
  reportDeploy: (status: string, applied: number, failed: number, stale: number) => `Deploy ${status}: ${applied} applied, ${failed} failed, ${stale} stale.`,
};

export type Texts = typeof en;

/** The deploy record's status (machine-readable, English in the record) as a French reader says it */
const deployStatusesFr: Record<DeployStatus, string> = {
  running: 'en cours',
  succeeded: 'réussi',
  partial: 'partiel',
  failed: 'en échec',
  cancelled: 'annulé',
  refused: 'refusé',
};
const deployStatusFr = (status: string): string => deployStatusesFr[status as DeployStatus] ?? status;

const fr: Texts = {
  baseSkipsMerge: (branch, sha) => `${branch} se termine par un plan fusionné qui n’a pas été appliqué ; la comparaison part de ${sha}, le dernier état enregistré.`,
  firstSync: (branch) => `Première synchronisation : la branche ${branch} est créée avec la configuration du locataire.`,
  backupCommitted: (branch, sha) => `La sauvegarde a été commitée dans ${branch} (${sha}).`,
  nothingChanged: () => 'Rien n’a changé dans le locataire : aucun commit.',
  consentBlocksApproval: () => 'Des modifications sont en attente, mais rien n’est soumis à approbation tant qu’un administrateur n’a pas accordé les autorisations manquantes.',
  adopted: (count, branch, sha) => `${count} modification(s) apportée(s) dans le locataire : reprise(s) dans ${branch} (${sha}).`,
  adoptionProposed: (count, branch, pr) => `${count} modification(s) apportée(s) dans le locataire : proposée(s) pour ${branch} dans #${pr} (la branche est protégée).`,
  adoptionPending: (pr, branch) => `Les modifications du locataire en attente dans #${pr} (${branch} est protégée) sont considérées comme souhaitées jusqu’à la fusion de cette demande de tirage.`,
  adoptionHeld: (title, name, tenantName, branch, referrers, reason) =>
    `${title} « ${name} » (${tenantName === null ? 'supprimé' : tenantName === name ? 'modifié' : `renommé en « ${tenantName} »`} dans le locataire) n’a pas encore été repris dans ${branch} : ${reason === 'still-named' ? `${referrers} dans ${branch} le nomment encore` : `il nomme ${referrers}, que ${branch} n’a pas encore`}. La dérive reste signalée et sera reprise dès que ${reason === 'still-named' ? 'ils pourront être lus ou seront réglés' : 'cela sera réglé'}.`,
  adoptionGaveUp: (branch) => `${branch} a modifié les mêmes fichiers pendant la reprise des modifications du locataire ; rien n’a été forcé. Les modifications du locataire restent enregistrées comme non reprises : la prochaine synchronisation les reprend, ou les montre comme conflits là où ${branch} les a aussi modifiées.`,
  approvalClosed: (pr) => `La demande de tirage #${pr} a été fermée : plus rien n’est en attente d’approbation.`,
  approvalClosedComment: (tenant, branch) =>
    `Plus rien n’est en attente d’approbation pour ${tenant} : le locataire et ${branch} concordent. tenant-sync a fermé cette demande de tirage ; rien n’a été écrit dans le locataire.`,
  planRejectedBefore: (pr, branch) => `Ce plan a été rejeté dans #${pr} ; il ne sera plus proposé tant que le locataire ou ${branch} ne change pas.`,
  approvalOpened: (pr) => `La demande de tirage #${pr} a été ouverte pour approbation.`,
  awaitingApproval: (tenant, pr) => `Des modifications de ${tenant} attendent une approbation dans #${pr}.`,
  approvedMeanwhile: () => 'Le plan a été approuvé pendant cette synchronisation ; l’exécution déclenchée par la fusion le déploie.',
  approvalUnchanged: (pr) => `La demande de tirage #${pr} présente déjà ce plan.`,
  approvalUpdated: (pr) => `La demande de tirage #${pr} a été mise à jour avec le nouveau plan.`,
  stateAfterDeploy: (branch, sha) => `L’état du locataire après le déploiement a été commité dans ${branch} (${sha}).`,
  closedByUs: (pr) => `La demande de tirage #${pr} a été fermée par tenant-sync, car plus rien n’était en attente d’approbation.`,
  rejectedComment: (tenant, branch, label) =>
    `Rejeté : rien n’a été écrit dans **${tenant}**. La modification reste sur ${branch} ; ce plan ne sera plus proposé tant que le locataire ou ${branch} ne change pas. Pour rétablir également ${branch} à l’état du locataire, rouvrez cette demande de tirage et fermez-la avec l’étiquette \`${label}\`.`,
  rejected: (pr) => `La demande de tirage #${pr} a été rejetée ; rien n’a été écrit dans le locataire.`,
  revertNotAllowedComment: (tenant, label, who, branch) =>
    `Rejeté : rien n’a été écrit dans **${tenant}**. L’étiquette \`${label}\` n’a pas été prise en compte : ${who} n’a pas d’accès en écriture, la branche ${branch} est donc restée inchangée.`,
  revertNotAllowed: (pr, who) => `La demande de tirage #${pr} a été rejetée ; le rétablissement n’a pas été effectué, car ${who} n’a pas d’accès en écriture.`,
  reverted: (branch, count, sha) => `La branche ${branch} a été rétablie à l’état du locataire pour les ${count} objet(s) du plan (${sha}).`,
  revertUnchanged: (branch) => `La branche ${branch} contient déjà l’état du locataire pour ces objets.`,
  revertProposed: (branch, pr) => `La branche ${branch} est protégée : le rétablissement est proposé dans #${pr}.`,
  revertedComment: (tenant, where) => `Rejeté et rétabli : rien n’a été écrit dans **${tenant}**. ${where}`,
  deployed: (tenant) => `Déployé dans **${tenant}** : toutes les modifications du plan ont été appliquées et relues.`,
  deployedPartly: (tenant, applied, failed, stale, unverified) =>
    `Déployé en partie dans **${tenant}** : ${applied} appliquée(s), ${failed} en échec, ${stale} obsolète(s), ${unverified} non vérifiée(s).`,
  deployedNothing: (tenant, why) => `Rien n’a été déployé dans **${tenant}**${why ? ` : ${why}` : '.'}`,
  deployCancelled: (tenant, applied, items) =>
    `Le déploiement dans **${tenant}** a été annulé : ${applied} modification(s) sur ${items} appliquée(s), les autres non commencées.`,
  deployRest: () => 'Les objets non appliqués restent sur la branche par défaut ; la prochaine synchronisation les proposera de nouveau.',
  deployTable: () => ['résultat', 'modification', 'objet', 'remarque'] as readonly string[],
  signInRequested: (uri, code, until) => `Une connexion a été demandée : ouvrez ${uri} et entrez le code \`${code}\` (valable jusqu’au ${until}).`,
  signInNeeded: (uri, code, until) => `Une connexion est nécessaire pour les types que seul un utilisateur peut lire : ouvrez ${uri} et entrez le code \`${code}\` avant le ${until}.`,
  permissionsMissing: (list) => `Des autorisations nécessaires à la configuration ne sont pas accordées : ${list}.`,
  consentHere: (url, delegatedUrl) =>
    `Un administrateur peut les accorder ici : [consentement administrateur](${url})${delegatedUrl ? `, et pour le client délégué : [consentement administrateur](${delegatedUrl})` : ''}. Rien n’est écrit dans le locataire d’ici là.`,
  fix: () => 'Solution',
  troubleshooting: () => 'Dépannage',
  whatToDo: () => 'Que faire',
  technicalDetail: () => 'Détail technique (texte d’origine, en anglais)',
  planLine: (c) =>
    `Plan : ${c.creates} à créer, ${c.updates} à mettre à jour, ${c.deletes} à supprimer, ${c.conflicts} conflit(s), ${c.errors} erreur(s), ${c.held} suppression(s) retenue(s), ${c.drift} dérive(s).`,
  deployLine: (status, c) =>
    `Déploiement : ${deployStatusFr(status)} ; ${c.applied} appliquée(s), ${c.failed} en échec, ${c.stale} obsolète(s), ${c.unverified} non vérifiée(s), ${c.skipped} déjà conforme(s) au plan ; ${c.requests} requête(s) d’écriture.`,
  problemsTable: () => ['objet', 'résultat', 'erreur'] as readonly string[],
  backupTable: () => ['type', 'état', 'objets', 'fichiers écrits', 'supprimés', 'remarque'] as readonly string[],
  needs: (permission) => `nécessite \`${permission}\``,
  totals: (objects, written, removed, graph, http, retries, throttled, seconds) =>
    `${objects} objets, ${written} fichiers écrits, ${removed} supprimés ; ${graph} requêtes Graph (${http} HTTP), ${retries} nouvelles tentatives, ${throttled} limitées ; ${seconds} s.`,
  linkApproval: () => 'Demande de tirage d’approbation',
  linkJob: () => 'Afficher le travail',
  linkArtifacts: () => 'Artefacts : rapport, plan, enregistrement du déploiement, journal',
  heading: (tenant, status) => `${tenant} : ${status}`,
  colon: () => ' :',
  mergeRefused: (who, pr, why) =>
    `${who} a cliqué sur Approuver, mais GitHub a refusé de fusionner #${pr} : ${why}\n\nRien n’a été appliqué. Obtenez les revues qu’exige la branche, puis approuvez de nouveau.`,
  typeNotBackedUp: (title, code) => `${title} : non sauvegardé (${code})`,
  notRead: () => 'non lu',
  typeUnreadable: () => 'Le type n’a pas pu être lu.',
  filesKept: (message, docs) => `${message} Ses fichiers ont été conservés tels quels.${docs ? ` Consultez ${docs}` : ''}`,
  reportLine: (ok, types, objects, written, removed) => `${ok}/${types} types, ${objects} objets, ${written} fichiers écrits, ${removed} supprimés.`,
  notBackedUp: (list) => `Non sauvegardés : ${list}.`,
  reportDeploy: (status, applied, failed, stale) => `Déploiement ${deployStatusFr(status)} : ${applied} appliquée(s), ${failed} en échec, ${stale} obsolète(s).`,
};

export const textCatalogues: Readonly<Record<Language, Texts>> = { en, fr };

export function textsFor(language: Language = 'en'): Texts {
  return textCatalogues[language];
}
