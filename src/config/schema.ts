import { z } from 'zod';
import { cloudSchema } from './clouds.js';

/**
 * tenant-sync.yml. Keys are kebab-case, as in GitHub workflow files. Credentials are never written
 * here: the file names the environment variables (GitHub secrets) that hold them.
 */

const envName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name such as TENANT_SYNC_CLIENT_SECRET');

export const authSchema = z
  .strictObject({
    method: z
      .enum(['federated', 'certificate', 'secret'])
      .describe('federated: GitHub OIDC token, no secret stored (recommended in Actions); certificate; secret'),
    'secret-env': envName.default('TENANT_SYNC_CLIENT_SECRET').describe('Variable that holds the client secret'),
    'certificate-env': envName
      .default('TENANT_SYNC_CERTIFICATE')
      .describe('Variable that holds the PEM private key and certificate'),
  })
  .describe('How the service principal signs in');

export const delegatedSchema = z
  .strictObject({
    enabled: z.boolean().default(true).describe('Read the types that only a signed-in user can read (device-code sign-in)'),
    'client-id': z
      .string()
      .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'the application (client) id GUID')
      .optional()
      .describe('Public client application the user signs in to (default: the tenant\'s client-id; "Allow public client flows" must be on)'),
    'timeout-minutes': z
      .number()
      .positive()
      .max(15, 'at most 15 minutes: a device code expires after 15 minutes')
      .default(3)
      .describe('How long a sync waits for the person to complete the device-code sign-in'),
    'cache-key-env': envName
      .default('TENANT_SYNC_TOKEN_CACHE_KEY')
      .describe('Variable that holds the key (at least 32 characters) the stored sign-in is encrypted with'),
    'cache-file': z
      .string()
      .min(1)
      .optional()
      .describe(
        'Where the encrypted sign-in is kept between runs, outside the repository; {tenant} is replaced by the tenant name (default: ~/.cache/tenant-sync/{tenant}.token-cache)',
      ),
  })
  .describe('Delegated (signed-in user) sign-in for the types the application cannot read on its own');

export const typeSelectionSchema = z
  .strictObject({
    include: z.array(z.string()).optional().describe('Only these types (default: every type enabled by default)'),
    exclude: z.array(z.string()).default([]).describe('Types to leave out'),
  })
  .describe('Which resource types are synced');

export const deleteGuardSchema = z
  .strictObject({
    'max-share': z.number().min(0).max(1).default(0.1).describe('Largest share of a type\'s objects one plan may delete'),
    'min-count': z.int().min(0).default(5).describe('Deletes always allowed up to this many per type'),
    allow: z.boolean().default(false).describe('Allow plans over the limit (not recommended)'),
  })
  .describe('Holds back plans that delete many objects of one type');

const httpsUrl = z
  .string()
  .url()
  .refine((u) => u.startsWith('https://'), 'must be an https:// URL (sign-in and Graph are only reached over HTTPS)');

const tenantSettings = {
  cloud: cloudSchema.optional().describe('National cloud: public, usgov (GCC High), usgov-dod, china'),
  'authority-host': httpsUrl.optional().describe('Sign-in host override, e.g. https://login.microsoftonline.us'),
  'graph-endpoint': httpsUrl.optional().describe('Graph root override, e.g. https://graph.microsoft.us'),
  language: z.enum(['en', 'fr']).optional().describe('Language of everything a person reads'),
  drift: z.enum(['adopt', 'remediate', 'report']).optional().describe('What to do with changes made in the tenant'),
  types: typeSelectionSchema.optional(),
  'delete-guard': deleteGuardSchema.optional(),
  concurrency: z.int().min(1).max(32).optional().describe('Graph requests in flight at once'),
  auth: authSchema.optional(),
  delegated: delegatedSchema.optional(),
  deploy: z
    .boolean()
    .optional()
    .describe('Approved changes are deployed to the tenant, so the write permissions are needed (default true; false: back up only)'),
};

export const tenantNameSchema = z
  .string()
  .regex(
    /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/,
    'lower-case letters, digits and dashes (it names a folder and a git branch), e.g. contoso',
  );

export const tenantEntrySchema = z.strictObject({
  name: tenantNameSchema.describe('Short name: folder tenants/<name>/ and branch tenant-sync/state/<name>'),
  'tenant-id': z
    .string()
    .regex(
      /^([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[a-z0-9.-]+\.[a-z]{2,})$/i,
      'a directory (tenant) id GUID or a verified domain such as contoso.onmicrosoft.com',
    ),
  'client-id': z
    .string()
    .regex(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, 'the application (client) id GUID'),
  ...tenantSettings,
});

export const configFileSchema = z
  .strictObject({
    $schema: z.string().optional(),
    version: z.literal(1).describe('Format version of this file'),
    defaults: z.strictObject(tenantSettings).optional().describe('Settings every tenant inherits'),
    tenants: z.array(tenantEntrySchema).min(1, 'list at least one tenant'),
  })
  .superRefine((cfg, ctx) => {
    const seen = new Map<string, number>();
    cfg.tenants.forEach((t, i) => {
      const first = seen.get(t.name);
      if (first !== undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['tenants', i, 'name'],
          message: `tenant name "${t.name}" is used twice (tenants[${first}] and tenants[${i}]); give each tenant its own name`,
        });
      } else seen.set(t.name, i);
    });
  });

export type ConfigFile = z.infer<typeof configFileSchema>;
export type TenantEntry = z.infer<typeof tenantEntrySchema>;
export type AuthSettings = z.infer<typeof authSchema>;
export type DelegatedSettings = z.infer<typeof delegatedSchema>;
export type DeleteGuard = z.infer<typeof deleteGuardSchema>;
