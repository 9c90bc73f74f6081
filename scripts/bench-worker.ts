// One measured backup, in its own process so that it trusts the simulator's CA through
// NODE_EXTRA_CA_CERTS (set by scripts/bench.ts) and its peak memory is its own.
// Input (JSON in argv[2]): { tenantId, clientId, secret, root, timeScale, pacing }
import { parseConfig } from '../src/config/load.js';
import { backupTenant } from '../src/engine/backup.js';
import { connect, documentedRateLimits } from '../src/engine/connect.js';
import { createMemoryLogger } from '../src/log/index.js';

const input = JSON.parse(process.argv[2]!) as { tenantId: string; clientId: string; secret: string; root: string; timeScale: number; pacing: boolean };
const env: NodeJS.ProcessEnv = { ...process.env, TENANT_SYNC_CLIENT_SECRET: input.secret };
const tenant = parseConfig(
  `version: 1\ntenants:\n  - name: contoso\n    tenant-id: ${input.tenantId}\n    client-id: ${input.clientId}\n    auth:\n      method: secret\n`,
  'tenant-sync.yml',
  env,
).tenants[0]!;
// The simulator's clock runs timeScale times faster; the documented limits are scaled to match.
const rateLimits = input.pacing
  ? Object.fromEntries(Object.entries(documentedRateLimits ?? {}).map(([b, l]) => [b, { requests: l!.requests, perMs: l!.perMs / input.timeScale }]))
  : {};
const log = createMemoryLogger();
// BENCH_TRACE=1: a timeline on stderr (requests per interval, CPU, progress lines), to see where a backup waits.
const trace = process.env.BENCH_TRACE === '1';
const t0 = performance.now();
if (trace) {
  let last = 0;
  let lastCpu = process.cpuUsage();
  log.progress = (m: string) => m && process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(2)} ${m}\n`);
  setInterval(() => {
    const n = (graph as { stats: { graphRequests: number } } | undefined)?.stats.graphRequests ?? 0;
    const cpu = process.cpuUsage(lastCpu);
    lastCpu = process.cpuUsage();
    process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(2)} +${n - last} req cpu ${((cpu.user + cpu.system) / 1000 / 250 * 100).toFixed(0)}%\n`);
    last = n;
  }, 250).unref();
}
let graph: Awaited<ReturnType<typeof connect>> | undefined;
graph = await connect({ tenant, log, sources: { env }, graph: { rateLimits, maxBackoffMs: 60_000 / input.timeScale } });
const started = performance.now();
const report = await backupTenant({ tenant, root: input.root, graph, log });
if (trace) process.stderr.write(`${((performance.now() - t0) / 1000).toFixed(2)} done\n`);
const wallMs = performance.now() - started;
(graph as { close?: () => void }).close?.();
process.stdout.write(
  JSON.stringify({
    wallMs,
    objects: report.totals.objects,
    failedTypes: report.totals.failedTypes,
    written: report.totals.written,
    deleted: report.totals.deleted,
    graph: report.graph,
    peakRssMb: process.resourceUsage().maxRSS / 1024,
    cpuS: (process.resourceUsage().userCPUTime + process.resourceUsage().systemCPUTime) / 1e6,
  }),
);
