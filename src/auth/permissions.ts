import type { TenantConfig } from '../config/load.js';
import { findLookup, findResource } from '../resources/catalogue.js';
import type { ResourceDefinition } from '../resources/definition.js';
import type { MissingPermission } from '../status/index.js';

/**
 * Which Microsoft Graph permissions a tenant's configuration needs, which ones its tokens carry,
 * and where an administrator grants the rest.
 *
 * Needed: the catalogue's read permission of every enabled type (and of the types and directory
 * objects they name), and its write permission where the tenant deploys. Types only a signed-in
 * user can read need a delegated permission (a scope, `scp`); every other type an application
 * permission (a role, `roles`).
 */

export interface NeededPermission {
  permission: string;
  kind: 'application' | 'delegated';
  access: 'read' | 'write';
  /** Types (and lookups such as groups, users) that need it */
  neededBy: string[];
}

export type PermissionScope = Pick<TenantConfig, 'types' | 'deploy'>;

export function neededPermissions(tenant: PermissionScope, resolve: (type: string) => ResourceDefinition | undefined = findResource): NeededPermission[] {
  const needed = new Map<string, NeededPermission>();
  const add = (permission: string, kind: NeededPermission['kind'], access: NeededPermission['access'], by: string) => {
    const key = `${kind}|${permission.toLowerCase()}|${access}`;
    const entry = needed.get(key) ?? { permission, kind, access, neededBy: [] };
    if (!entry.neededBy.includes(by)) entry.neededBy.push(by);
    needed.set(key, entry);
  };
  const enabled = new Set(tenant.types.map((d) => d.type));
  const kindOf = (def: ResourceDefinition) => (def.delegatedOnly ? 'delegated' : 'application');
  for (const def of tenant.types) {
    add(def.permissions.read, kindOf(def), 'read', def.type);
    if (tenant.deploy && def.write && def.permissions.write) add(def.permissions.write, kindOf(def), 'write', def.type);
    for (const ref of def.references) {
      if (enabled.has(ref.target)) continue;
      const target = resolve(ref.target);
      if (target) add(target.permissions.read, kindOf(target), 'read', target.type);
      const lookup = findLookup(ref.target);
      if (lookup) add(lookup.permissions.read, 'application', 'read', lookup.type);
    }
  }
  return [...needed.values()].sort((a, b) => (a.kind + a.permission < b.kind + b.permission ? -1 : a.kind + a.permission > b.kind + b.permission ? 1 : 0));
}

/**
 * Permissions that include another, as Microsoft's permissions reference describes them: a
 * ReadWrite permission includes its Read, Directory.Read.All reads users and groups, Group.Read.All
 * reads their members.
 */
const includedBy: Record<string, string[]> = {
  'user.read.all': ['directory.read.all', 'directory.readwrite.all', 'user.readwrite.all'],
  'group.read.all': ['directory.read.all', 'directory.readwrite.all', 'group.readwrite.all'],
  'groupmember.read.all': ['group.read.all', 'group.readwrite.all', 'directory.read.all', 'directory.readwrite.all', 'groupmember.readwrite.all'],
  'directory.read.all': ['directory.readwrite.all'],
};

export function isGranted(permission: string, granted: readonly string[]): boolean {
  const have = new Set(granted.map((g) => g.toLowerCase()));
  const p = permission.toLowerCase();
  if (have.has(p)) return true;
  if (p.includes('.read.') && have.has(p.replace('.read.', '.readwrite.'))) return true;
  if (p.endsWith('.read') && have.has(`${p}write`)) return true;
  return (includedBy[p] ?? []).some((s) => have.has(s));
}

export interface GrantedPermissions {
  /** `roles` of the application's token */
  application: readonly string[];
  /** `scp` of the user's token; undefined when no user signed in (delegated needs are then not judged) */
  delegated?: readonly string[];
}

export function missingPermissions(needed: readonly NeededPermission[], granted: GrantedPermissions): MissingPermission[] {
  return needed
    .filter((n) => {
      const have = n.kind === 'application' ? granted.application : granted.delegated;
      return have !== undefined && !isGranted(n.permission, have);
    })
    .map((n) => ({ permission: n.permission, kind: n.kind, access: n.access, neededBy: [...n.neededBy] }));
}

export interface AdminConsentTarget {
  /** Host of the consent endpoint for the tenant's cloud (TenantConfig.adminConsentHost) */
  host: string;
  /** Sign-in host (TenantConfig.authorityHost): the redirect URI is its native-client page */
  authorityHost: string;
  tenantId: string;
  clientId: string;
  /** Graph root of the cloud: the consent covers {graph}/.default, every permission the app registration lists */
  graphEndpoint: string;
}

/**
 * The admin consent link in the form Microsoft documents for the v2.0 endpoint
 * ("Admin consent on the Microsoft identity platform"):
 * {host}/{tenant}/v2.0/adminconsent?client_id=…&scope={graph}/.default&redirect_uri=…
 * The redirect URI is the native-client page of the sign-in host, which the README's set-up
 * registers (platform "Mobile and desktop applications", as device-code sign-in needs anyway).
 */
export function adminConsentUrl(target: AdminConsentTarget): string {
  const params = new URLSearchParams({
    client_id: target.clientId,
    scope: `${target.graphEndpoint.replace(/\/+$/, '')}/.default`,
    redirect_uri: `${target.authorityHost.replace(/\/+$/, '')}/common/oauth2/nativeclient`,
  });
  return `${target.host.replace(/\/+$/, '')}/${encodeURIComponent(target.tenantId)}/v2.0/adminconsent?${params.toString()}`;
}

export function tenantConsentUrl(
  tenant: Pick<TenantConfig, 'adminConsentHost' | 'authorityHost' | 'tenantId' | 'clientId' | 'graphEndpoint'>,
  clientId = tenant.clientId,
): string {
  return adminConsentUrl({ host: tenant.adminConsentHost, authorityHost: tenant.authorityHost, tenantId: tenant.tenantId, clientId, graphEndpoint: tenant.graphEndpoint });
}

/** One line per missing permission, for logs and summaries */
export function describeMissing(missing: readonly MissingPermission[]): string[] {
  return missing.map(
    (m) => `${m.permission} (${m.kind === 'application' ? 'application' : 'delegated'} permission, ${m.access}) for ${m.neededBy.join(', ')}`,
  );
}
