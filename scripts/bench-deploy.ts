// One measured deploy of N changes (default 500), in its own process (like scripts/bench-worker.ts):
// the tenant tree of a finished backup (root), a desired tree with N Intune objects edited, a plan
// from reconcile, applyPlan against the simulator. Writes go out paced to Intune's documented write
// limit (100 per 20 s per app), scaled by the simulator's time scale.
// Input (JSON in argv[2]): { tenantId, clientId, secret, root, timeScale, changes }
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseConfig } from '../src/config/load.js';
import { connect, documentedRateLimits } from '../src/engine/connect.js';
import { applyPlan } from '../src/deploy/index.js';
import { createMemoryLogger } from '../src/log/index.js';
import { reconcile, treeFromTenantTree, type Tree } from '../src/reconcile/index.js';
import { readTenantTree } from '../src/snapshot/index.js';

/** Graph's documented Intune write limit: 100 writes per 20 s per app */
export const intuneWriteLimit = { requests: 100, perMs: 20_000 };

const input = JSON.parse(process.argv[2]!) as { tenantId: string; clientId: string; secret: string; root: string; timeScale: number; changes: number };
const env: NodeJS.ProcessEnv = { ...process.env, TENANT_SYNC_CLIENT_SECRET: input.secret };
const tenant = parseConfig(
  `version: 1\ntenants:\n  - name: contoso\n    tenant-id: ${input.tenantId}\n    client-id: ${input.clientId}\n    auth:\n      method: secret\n`,
  'tenant-sync.yml',
  env,
).tenants[0]!;
const scale = (l: { requests: number; perMs: number }) => ({ requests: l.requests, perMs: l.perMs / input.timeScale });
const rateLimits = Object.fromEntries(Object.entries(documentedRateLimits ?? {}).map(([b, l]) => [b, scale(l!)]));
const log = createMemoryLogger();
const graph = await connect({
  tenant,
  log,
  sources: { env },
  graph: { rateLimits, writeRateLimits: { intune: scale(intuneWriteLimit) }, maxBackoffMs: 60_000 / input.timeScale },
});

// The tenant as the backup recorded it, and the repository with N Intune objects edited.
const defs = tenant.types;
const tenantTree = treeFromTenantTree(await readTenantTree(input.root, 'contoso', defs));
const idMap = JSON.parse(readFileSync(join(input.root, '.tenant-sync', 'contoso', 'ids.json'), 'utf8')) as Record<string, Record<string, string>>;
const desired: Tree = {};
let edits = 0;
const editable = defs.filter((d) => d.throttle === 'intune' && d.kind !== 'singleton' && d.write?.update !== undefined && d.permissions.write);
// Round-robin over the editable types, so that the changes are a mix.
const queues = editable.map((d) => ({ def: d, entries: tenantTree[d.type] ?? [], next: 0 }));
const chosen = new Set<string>();
while (edits < input.changes && queues.some((q) => q.next < q.entries.length)) {
  for (const q of queues) {
    if (edits >= input.changes) break;
    const e = q.entries[q.next++];
    if (!e || q.def.readOnlyWhen) continue;
    chosen.add(`${q.def.type}\u0000${e.file}`);
    edits++;
  }
}
for (const [type, entries] of Object.entries(tenantTree)) {
  desired[type] = entries.map((e) =>
    chosen.has(`${type}\u0000${e.file}`) ? { file: e.file, object: { ...e.object, description: `bench edit ${e.file}` } } : e,
  );
}
const planned = performance.now();
const { plan } = reconcile({ tenantName: 'contoso', defs, base: tenantTree, tenant: tenantTree, desired, idMap });
const planS = (performance.now() - planned) / 1000;

const started = performance.now();
const record = await applyPlan({
  plan,
  tenant,
  graph,
  log,
  recordFile: join(input.root, 'deploy-record.json'),
  approval: { kind: 'cli', reference: 'bench' },
});
const wallMs = performance.now() - started;
(graph as { close?: () => void }).close?.();
process.stdout.write(
  JSON.stringify({
    changes: plan.items.length,
    planS,
    wallMs,
    status: record.status,
    counts: record.counts,
    writes: record.items.reduce((n, i) => n + i.requests.length, 0),
    graph: graph.stats,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  }),
);
