/**
 * The French catalogue of the error codes: for each code of `errorCatalogue` (index.ts), its title
 * and a generic "what to do", after its page docs/troubleshooting/<code>.md, in the wording of
 * Microsoft's French documentation (locataire, dépôt, demande de tirage, inscription d’application,
 * vouvoiement). Typed `Record<ErrorCode, …>`, so a missing or extra code fails the type check;
 * test/main/texts.test.ts checks them too. What an error says in detail (its message, with Graph's
 * or Entra's own words) and its specific fix stay in English: they are shown verbatim as the
 * technical detail. Codes, setting names, file names and commands stay as written.
 */
import type { ErrorCode } from './index.js';

export interface ErrorText {
  /** What went wrong, in one line */
  title: string;
  /** What to do about it, for every error of the code */
  fix: string;
}

export const frenchErrorCatalogue: Readonly<Record<ErrorCode, ErrorText>> = {
  CONFIG_NOT_FOUND: {
    title: 'Le fichier de configuration tenant-sync.yml est introuvable',
    fix: 'Créez tenant-sync.yml à la racine du dépôt (voir docs/tenant-sync.example.yml), exécutez actions/checkout avant l’étape tenant-sync, ou indiquez son chemin avec l’entrée config.',
  },
  CONFIG_INVALID: {
    title: 'Le fichier de configuration n’est pas valide',
    fix: 'Ouvrez le fichier à la ligne et à la colonne indiquées et corrigez la valeur nommée ; docs/tenant-sync.schema.json liste les clés acceptées. Vérifiez localement avec npx tenant-sync matrix.',
  },
  CONFIG_UNKNOWN_TENANT: {
    title: 'Le locataire ne figure pas dans la configuration',
    fix: 'Utilisez le nom exactement comme dans tenant-sync.yml (npx tenant-sync matrix les liste), ou ajoutez le locataire sous tenants: avec name, tenant-id et client-id.',
  },
  CONFIG_UNKNOWN_TYPE: {
    title: 'Un type de ressource inconnu est indiqué',
    fix: 'Remplacez le nom par l’un des types listés dans le message ; docs/permissions.md liste tous les types.',
  },
  CONFIG_ENDPOINT: {
    title: 'Un point de terminaison de connexion ou Graph n’est pas acceptable',
    fix: 'Indiquez plutôt le cloud dans tenant-sync.yml (cloud), ou donnez une URL https:// complète sans chemin, ou supprimez la variable de remplacement.',
  },
  CREDENTIAL_MISSING: {
    title: 'Une information d’identification nommée par la configuration n’est pas définie',
    fix: 'Créez le secret du dépôt sous le nom exact qu’indique auth.secret-env ou auth.certificate-env et transmettez-le à l’étape (env:) ; pour la méthode federated, donnez au travail permissions: id-token: write.',
  },
  CREDENTIAL_INVALID: {
    title: 'Une information d’identification est inutilisable',
    fix: 'Placez dans le secret un seul fichier PEM contenant la clé privée non chiffrée et le certificat correspondant (par exemple openssl pkcs12 -in cert.pfx -nodes), ou une clé de cache aléatoire assez longue.',
  },
  AUTH_BAD_SECRET: {
    title: 'Le secret client a été refusé (AADSTS7000215)',
    fix: 'Dans l’inscription d’application (Certificats et secrets), créez un secret client, copiez sa valeur (pas l’ID du secret) dans le secret du dépôt que nomme auth.secret-env, puis relancez la synchronisation. Mieux : passez à auth.method: federated.',
  },
  AUTH_SECRET_EXPIRED: {
    title: 'Le secret client a expiré (AADSTS7000222)',
    fix: 'Créez un secret client dans l’inscription d’application, mettez à jour le secret du dépôt que nomme auth.secret-env, puis relancez la synchronisation ; auth.method: federated évite toute expiration.',
  },
  AUTH_BAD_CERTIFICATE: {
    title: 'Le certificat a été refusé (AADSTS700027)',
    fix: 'Vérifiez que l’empreinte du certificat du secret figure dans l’inscription d’application (Certificats et secrets > Certificats) et qu’il n’a pas expiré ; chargez sa partie publique si besoin, puis relancez la synchronisation.',
  },
  AUTH_NO_CREDENTIAL: {
    title: 'L’application n’a aucune information d’identification (AADSTS7000218)',
    fix: 'Fournissez ce qu’exige auth.method (secret, certificat ou permissions: id-token: write) ; pour la connexion par code d’appareil, activez « Autoriser les flux de clients publics » dans l’inscription d’application (Authentification).',
  },
  AUTH_FEDERATION_MISMATCH: {
    title: 'Les informations d’identification fédérées ne correspondent pas (AADSTS700213)',
    fix: 'Ajoutez à l’inscription d’application des informations d’identification fédérées pour GitHub Actions dont le sujet correspond au travail (de préférence l’environnement tenant-sync), vérifiez l’audience du cloud, puis relancez le workflow.',
  },
  AUTH_UNKNOWN_APP: {
    title: 'L’application est introuvable dans le locataire (AADSTS700016)',
    fix: 'Copiez l’ID d’application (client) et l’ID de l’annuaire (locataire) de l’inscription d’application dans client-id et tenant-id ; pour une application mutualisée, faites accorder le consentement administrateur dans le locataire client.',
  },
  AUTH_UNKNOWN_TENANT: {
    title: 'Le locataire est introuvable (AADSTS90002)',
    fix: 'Copiez l’ID du locataire (un GUID) depuis Entra ID > Vue d’ensemble dans tenant-id, et indiquez le cloud du locataire (cloud).',
  },
  AUTH_CONSENT_MISSING: {
    title: 'Le consentement administrateur manque (AADSTS65001)',
    fix: 'Un administrateur de rôle privilégié accorde le consentement administrateur aux autorisations de l’application (Autorisations de l’API > Accorder un consentement d’administrateur, ou le lien affiché), puis relancez la synchronisation.',
  },
  AUTH_CONDITIONAL_ACCESS: {
    title: 'La connexion est bloquée par l’accès conditionnel (AADSTS53003)',
    fix: 'Dans les journaux de connexion, trouvez la stratégie d’accès conditionnel qui a bloqué le compte de synchronisation, excluez-en ce compte, puis relancez la synchronisation.',
  },
  AUTH_MFA_REQUIRED: {
    title: 'La connexion exige l’authentification multifacteur (AADSTS50076, 50079)',
    fix: 'Excluez le compte de synchronisation de la stratégie qui exige l’authentification multifacteur, ou effectuez-la dans le navigateur lors de la connexion par code d’appareil, puis relancez la synchronisation.',
  },
  AUTH_REFRESH_EXPIRED: {
    title: 'La connexion enregistrée a expiré (AADSTS70008, 700082, 50173)',
    fix: 'Lancez une synchronisation, ouvrez l’URL indiquée dans le résumé du travail, entrez le code et connectez-vous avec le compte de synchronisation ; planifiez ensuite une synchronisation régulière.',
  },
  AUTH_DEVICE_CODE_TIMEOUT: {
    title: 'La connexion déléguée n’a pas été effectuée à temps',
    fix: 'Relancez la synchronisation quand le titulaire du compte de synchronisation est disponible, ouvrez l’URL indiquée, entrez le code et connectez-vous avant l’heure limite (delegated.timeout-minutes règle le délai).',
  },
  AUTH_CACHE_UNREADABLE: {
    title: 'La connexion déléguée enregistrée est illisible',
    fix: 'Si la clé a été changée volontairement, effectuez simplement la connexion par code d’appareil ; sinon, rétablissez la valeur précédente du secret que nomme delegated.cache-key-env.',
  },
  AUTH_FAILED: {
    title: 'Échec de la connexion',
    fix: 'Lisez le détail : recherchez le code AADSTS éventuel, vérifiez le cloud et que l’exécuteur atteint l’hôte de connexion (proxy, DNS, NODE_EXTRA_CA_CERTS), puis relancez la synchronisation.',
  },
  PERMISSIONS_NOT_GRANTED: {
    title: 'Des autorisations nécessaires à la configuration ne sont pas accordées',
    fix: 'Ajoutez chaque autorisation manquante à l’inscription d’application, avec le type indiqué (application ou déléguée), faites accorder le consentement administrateur, puis relancez la synchronisation.',
  },
  GRAPH_PERMISSION: {
    title: 'Une autorisation Graph manque',
    fix: 'Ajoutez l’autorisation d’application Microsoft Graph indiquée (docs/permissions.md) à l’inscription d’application, faites accorder le consentement administrateur, puis relancez la synchronisation ; ou excluez le type.',
  },
  GRAPH_READ_FAILED: {
    title: 'Un type n’a pas pu être lu depuis Graph',
    fix: 'Pour une erreur 429 ou 5xx, relancez la synchronisation plus tard (et réduisez concurrency si la limitation se répète) ; pour une erreur réseau, vérifiez l’accès à l’hôte Graph. Conservez le request-id pour le support Microsoft.',
  },
  REFERENCE_UNRESOLVED: {
    title: 'Une référence n’a pas pu être résolue en nom',
    fix: 'Ouvrez le fichier au chemin indiqué : créez l’objet référencé dans le locataire sous ce nom exact, corrigez le nom, ou supprimez la référence obsolète.',
  },
  DUPLICATE_NAME: {
    title: 'Deux objets d’un même type portent le même nom',
    fix: 'Renommez dans le locataire tous les objets sauf un (ou supprimez la copie superflue), puis relancez la synchronisation.',
  },
  DEPLOY_NOT_APPROVED: {
    title: 'Le plan n’est pas approuvé',
    fix: 'Examinez le plan, puis approuvez-le : fusionnez la demande de tirage d’approbation, ou exécutez tenant-sync apply --plan plan.json --yes.',
  },
  DEPLOY_PLAN_INVALID: {
    title: 'Le plan n’est pas valide',
    fix: 'Établissez de nouveau le plan (tenant-sync plan --tenant <nom> --out plan.json), examinez-le et appliquez ce fichier sans le modifier.',
  },
  DEPLOY_WRONG_TENANT: {
    title: 'Le plan a été établi pour un autre locataire',
    fix: 'Établissez un plan pour le bon locataire (tenant-sync plan --tenant <nom> --out plan.json), puis appliquez-le.',
  },
  DEPLOY_STALE: {
    title: 'Le locataire a changé depuis l’établissement du plan',
    fix: 'Relancez la synchronisation : elle enregistre l’état actuel du locataire et propose un nouveau plan ; examinez-le et approuvez-le.',
  },
  DEPLOY_WRITE_FAILED: {
    title: 'Graph a refusé une écriture',
    fix: 'Lisez l’erreur de l’élément dans l’enregistrement du déploiement (fichier, requête, message de Graph), corrigez le fichier ou accordez l’autorisation, puis approuvez la modification dans un nouveau plan.',
  },
  DEPLOY_OUTCOME_UNKNOWN: {
    title: 'Une écriture est restée sans réponse ; elle a pu être effectuée ou non',
    fix: 'Relancez la synchronisation : la sauvegarde montre l’état réel de l’objet, et le nouveau plan ne propose que ce qui manque encore.',
  },
  DEPLOY_UNVERIFIED: {
    title: 'L’objet relu diffère du plan',
    fix: 'Relancez la synchronisation et comparez le fichier de l’objet à ce que contient le locataire ; si Graph ignore la propriété, retirez-la du fichier ou écrivez-la comme Graph la stocke.',
  },
  DELETE_GUARD: {
    title: 'Un plan supprimerait plus d’objets d’un type que la protection contre les suppressions ne le permet',
    fix: 'Si les fichiers ont été supprimés par erreur, restaurez-les ; si les suppressions sont voulues, supprimez moins d’objets à la fois ou relevez delete-guard dans tenant-sync.yml, puis relancez la synchronisation.',
  },
  READ_ONLY_OBJECT: {
    title: 'Un objet intégré ne peut pas être modifié',
    fix: 'Annulez la modification du fichier de l’objet intégré (git checkout -- <fichier>) ; pour changer ses paramètres, créez un objet personnalisé sous un nouveau nom.',
  },
  WRITE_NOT_SUPPORTED: {
    title: 'Graph ne permet pas cette modification pour ce type',
    fix: 'Restaurez le fichier tel qu’il était (ou retirez le fichier ajouté) et apportez la modification que le type permet, par exemple en changeant les propriétés de l’objet existant.',
  },
  FILE_INVALID: {
    title: 'Un fichier du dépôt n’est pas valide',
    fix: 'Ouvrez le fichier à la ligne et à la colonne indiquées et corrigez-le en gardant la forme qu’écrit tenant-sync (comparez avec la dernière version sauvegardée), puis poussez la correction.',
  },
  GIT_FAILED: {
    title: 'Une opération git sur le dépôt a échoué',
    fix: 'Lisez le message de git dans le journal ; donnez au travail permissions: contents: write, laissez actions/checkout conserver ses informations d’identification et excluez tenant-sync/** des règles de protection de branche.',
  },
  GITHUB_REQUEST_FAILED: {
    title: 'GitHub a refusé ou n’a pas pu traiter une requête',
    fix: 'Lisez la requête, le statut et le message de GitHub dans le journal ; donnez au travail les autorisations de l’exemple de workflow (contents, pull-requests, issues, checks: write), puis relancez.',
  },
  APPROVAL_REFUSED: {
    title: 'Une demande de tirage fermée ne peut pas servir d’approbation',
    fix: 'Ne modifiez ni la branche d’approbation ni la description de la demande de tirage ; relancez la synchronisation, qui ouvre une nouvelle demande de tirage d’approbation, puis fusionnez-la pour approuver.',
  },
  SYNC_CANCELLED: {
    title: 'L’exécution a été annulée avant la fin',
    fix: 'Relancez la synchronisation : elle relit le locataire et propose de nouveau ce qui n’a pas été appliqué. Un élément in-progress de l’enregistrement du déploiement a pu être écrit ou non.',
  },
  USAGE: {
    title: 'La ligne de commande n’est pas valide',
    fix: 'Exécutez npx tenant-sync --help pour les commandes et options disponibles ; dans un workflow, indiquez explicitement l’entrée command.',
  },
  INTERNAL: {
    title: 'Erreur interne inattendue',
    fix: 'Relancez ; si l’erreur persiste, activez la journalisation de débogage et signalez-la aux mainteneurs de tenant-sync avec la version, la commande et le texte complet de l’erreur (sans secret).',
  },
};
