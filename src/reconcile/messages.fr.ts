/**
 * The French catalogue: the same keys and `{placeholders}` as `messages` (messages.ts), in the
 * wording of Microsoft's French documentation (locataire, dépôt, demande de tirage, artefact,
 * vouvoiement). Typed `Catalogue`, so a missing or extra key fails the type check;
 * test/reconcile/messages.test.ts also checks the placeholders. Code spans, setting names, file
 * names, drift policy values and the label `tenant-sync:revert` stay as written.
 */
import type { Catalogue } from './messages.js';

export const frenchMessages: Catalogue = {
  colon: ' :',
  // Header and counts
  'plan.title': 'Plan tenant-sync pour {tenant}',
  'plan.intro':
    'Fusionner cette demande de tirage déploie exactement les modifications ci-dessous dans le locataire ; chaque objet est d’abord vérifié par rapport à la version à partir de laquelle il a été planifié. La fermer les rejette. La fermer avec l’étiquette `tenant-sync:revert` remet en outre le dépôt à l’état du locataire pour ces objets.',
  'plan.empty': 'Aucune modification à apporter au locataire.',
  'plan.skipped': 'Types non comparés cette fois-ci (rien n’est proposé pour eux) : {types}.',
  'plan.hash': 'Plan {hash}',
  'plan.artifact': 'Le plan complet se trouve dans l’artefact `{artifact}`.',
  'plan.truncated':
    'Cette description a été raccourcie pour respecter la limite de taille de GitHub ; le plan complet se trouve dans l’artefact `{artifact}`.',
  'counts.creates': 'Créations',
  'counts.updates': 'Mises à jour',
  'counts.deletes': 'Suppressions',
  'counts.conflicts': 'Conflits',
  'counts.errors': 'Erreurs',
  'counts.held': 'Suppressions retenues',
  'counts.drift': 'Dérives',

  // Sections
  'section.errors': 'Erreurs',
  'section.conflicts': 'Conflits',
  'section.held': 'Suppressions retenues',
  'section.drift': 'Modifications apportées dans le locataire',
  'section.more': '… et {count} autre(s) ; consultez l’artefact `{artifact}`.',
  'section.omitted':
    '{count} entrée(s) omise(s) pour que cette description respecte la limite de taille de GitHub ; consultez l’artefact `{artifact}`.',

  // Per type
  'type.summary': '{title} : {creates} à créer, {updates} à mettre à jour, {deletes} à supprimer',
  'type.namesOnly':
    'Le détail des propriétés est omis pour que cette description respecte la limite de taille de GitHub ; consultez l’artefact `{artifact}`.',
  'type.countsOnly':
    'La liste des objets est omise pour que cette description respecte la limite de taille de GitHub ; consultez l’artefact `{artifact}`.',

  // Items
  'action.create': 'Créer',
  'action.update': 'Mettre à jour',
  'action.delete': 'Supprimer',
  'item.renamed': 'renommé, anciennement {previous}',
  'item.remediation':
    'rétablit la version du dépôt à la place d’une modification apportée dans le locataire (stratégie de dérive remediate)',
  'item.deleteWarning': '**Cet objet sera supprimé du locataire.**',
  'item.noChanges': 'Aucune modification de propriété.',
  'table.property': 'propriété',
  'table.before': 'avant',
  'table.after': 'après',
  'value.absent': '\u2014',
  'value.truncated': '\u2026 ({length} caractères, consultez l’artefact `{artifact}`)',
  'value.root': '(objet)',

  // Conflicts
  'conflict.both-changed': 'Modifié dans le locataire et dans le dépôt, différemment.',
  'conflict.changed-in-tenant-deleted-in-repo': 'Modifié dans le locataire, supprimé dans le dépôt.',
  'conflict.deleted-in-tenant-changed-in-repo': 'Supprimé dans le locataire, modifié dans le dépôt.',
  'conflict.created-in-both': 'Créé dans le locataire et dans le dépôt, différemment.',
  'conflict.name-taken': 'Le dépôt lui donne le nom d’un autre objet du locataire.',
  'conflict.fix':
    'Choisissez la bonne version : pour conserver celle du locataire, rendez le fichier du dépôt identique à la version du locataire ; pour conserver celle du dépôt, rétablissez l’objet du locataire à la dernière version enregistrée.',
  'conflict.tenantChanges': 'Dans le locataire',
  'conflict.repoChanges': 'Dans le dépôt',

  // Drift
  'drift.changed': 'modifié dans le locataire',
  'drift.created': 'créé dans le locataire',
  'drift.deleted': 'supprimé dans le locataire',
  'drift.adopt': 'Repris dans le dépôt (stratégie de dérive adopt).',
  'drift.remediate': 'Proposé ci-dessus pour être rétabli à la version du dépôt (stratégie de dérive remediate).',
  'drift.report': 'Signalé uniquement (stratégie de dérive report) : ni le dépôt ni le locataire ne sont modifiés.',

  // Errors
  'side.desired': 'dépôt',
  'side.tenant': 'locataire',
  'error.duplicate-name': '{count} objets du type {title} dans le {side} portent le nom {name} : {files}.',
  'error.duplicate-name.fix':
    'Donnez à chaque objet son propre nom (dans le locataire ou dans les fichiers du dépôt) ; d’ici là, rien n’est planifié pour les objets de ce nom.',
  'error.missing-reference': '{file} fait référence en {path} à {value} ({targetTitle}), qui ne figure pas dans le dépôt.',
  'error.missing-reference.fix': 'Corrigez le nom ou ajoutez l’objet qu’il désigne ; d’ici là, l’objet n’est pas planifié.',
  'error.ambiguous-reference': '{file} fait référence en {path} à {value} ({targetTitle}), un nom que portent plusieurs objets.',
  'error.ambiguous-reference.fix': 'Donnez des noms distincts à ces objets ; d’ici là, l’objet n’est pas planifié.',
  'error.still-referenced': '{title} {name} est supprimé dans le dépôt, mais toujours référencé par {referrers}.',
  'error.still-referenced.fix': 'Supprimez d’abord les références, ou conservez l’objet.',
  'error.read-only': '{title} {name} est intégré et ne peut pas être modifié.',
  'error.read-only.fix': 'Rétablissez le fichier à la version du locataire (les objets intégrés suivent le locataire).',
  'error.not-writable': 'tenant-sync ne peut pas modifier les objets du type {title} ; {name} diffère de la version du locataire.',
  'error.not-writable.fix': 'Rétablissez le fichier à la version du locataire et apportez la modification directement dans le locataire.',
  'error.cannot-create': '{title} {name} ne peut pas être créé par tenant-sync.',
  'error.cannot-create.fix': 'Créez l’objet dans le locataire ou supprimez le fichier.',
  'error.cannot-delete': '{title} {name} ne peut pas être supprimé par tenant-sync.',
  'error.cannot-delete.fix': 'Restaurez le fichier ou supprimez l’objet directement dans le locataire.',
  'error.type-changed': '{title} {name} changerait de nature (de {from} à {to}), ce que le service n’autorise pas pour un objet existant.',
  'error.type-changed.fix': 'Conservez le `@odata.type` du locataire dans le fichier ; pour changer de nature, créez un nouvel objet sous un autre nom et supprimez celui-ci.',

  // Delete guard
  'held.message':
    'Le plan supprimerait {count} des {total} objets du type {title} dans le locataire, plus que ne le permet la protection contre les suppressions ({limit} : la plus grande des deux valeurs delete-guard.min-count {minCount} et delete-guard.max-share {share} %). Les {count} suppressions de ce type sont toutes retenues.',
  'held.fix':
    'Si ces suppressions sont voulues, définissez delete-guard.allow: true (ou augmentez delete-guard.max-share ou delete-guard.min-count) pour ce locataire dans tenant-sync.yml, puis relancez la synchronisation ; sinon, restaurez les fichiers supprimés.',
};
