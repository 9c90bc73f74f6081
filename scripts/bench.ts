// npm run bench: backups of generated tenants against the simulator with Graph's documented
// throttling on, measured against the throttle-bound ideal. Prints a table per size and writes
// bench/results.json. Sizes: BENCH_SIZES=seeded,1000,10000 (default).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resources } from '../src/resources/catalogue.js';
import { startSimulator, type Simulator } from '../test/simulator/index.js';

const timeScale = Number(process.env.BENCH_TIME_SCALE ?? 10);
const sizes = (process.env.BENCH_SIZES ?? 'seeded,1000,10000').split(',');
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? 40);

interface Measured {
  wallMs: number;
  objects: number;
  failedTypes: number;
  written: number;
  deleted: number;
  graph: { requests: number; graphRequests: number; batchedItems: number; retries: number; throttled: number };
  peakRssMb: number;
  cpuS: number;
  simCpuS?: number;
}

// The simulator runs in this process: the worker must be awaited, never run synchronously.
async function backup(sim: Simulator, root: string, pacing = true): Promise<Measured> {
  const simCpu = process.cpuUsage();
  const { stdout: out, stderr } = await promisify(execFile)(
    process.execPath,
    ['--import', 'tsx', 'scripts/bench-worker.ts', JSON.stringify({ tenantId: sim.tenantId, clientId: sim.apps.secret.clientId, secret: sim.apps.secret.clientSecret, root, timeScale, pacing })],
    { env: { ...process.env, ...sim.env() }, maxBuffer: 64 * 1024 * 1024 },
  );
  if (process.env.BENCH_TRACE === '1') process.stderr.write(stderr);
  const c = process.cpuUsage(simCpu);
  return { ...(JSON.parse(out) as Measured), simCpuS: (c.user + c.system) / 1e6 };
}

/** Fewest Graph requests a complete backup needs: list pages, detail reads, child pages, name look-ups */
function lowerBound(sim: Simulator): { requests: number; idealMs: number } {
  const page = 100;
  let requests = 0;
  const byBucket: Record<string, number> = {};
  const referenced = new Map<string, Set<string>>();
  for (const def of resources) {
    const objects = sim.state(def.type);
    let n = def.kind === 'singleton' ? 1 : Math.max(1, Math.ceil(objects.length / page));
    if (def.detail) n += objects.length;
    for (const child of def.children) {
      for (const o of objects) n += Math.max(1, Math.ceil(((o[child.property] as unknown[] | undefined)?.length ?? 0) / page));
    }
    requests += n;
    byBucket[def.throttle] = (byBucket[def.throttle] ?? 0) + n;
    for (const ref of def.references) {
      if (resources.some((r) => r.type === ref.target)) continue;
      const set = referenced.get(ref.target) ?? new Set();
      const walk = (v: unknown, path: string[]): void => {
        if (v === null || v === undefined) return;
        if (path.length === 0) {
          if (Array.isArray(v)) v.forEach((x) => typeof x === 'string' && !ref.keywords.includes(x) && set.add(x));
          else if (typeof v === 'string' && !ref.keywords.includes(v)) set.add(v);
          return;
        }
        const [head, ...rest] = path;
        const key = head!.replace('[]', '');
        const next = (v as Record<string, unknown>)[key];
        if (head!.endsWith('[]') && Array.isArray(next)) {
          if (rest.length === 0) next.forEach((x) => typeof x === 'string' && !ref.keywords.includes(x) && set.add(x));
          else next.forEach((x) => walk(x, rest));
        } else walk(next, rest);
      };
      for (const o of objects) walk(o, ref.path.split('.'));
      referenced.set(ref.target, set);
    }
  }
  for (const set of referenced.values()) {
    requests += set.size;
    byBucket.directory = (byBucket.directory ?? 0) + set.size;
  }
  // Documented limits: conditional access 1 request/s per tenant; Intune 1,000 requests per 20 s.
  const idealMs = Math.max((byBucket.conditionalAccess ?? 0) * 1000, ((byBucket.intune ?? 0) / 1000) * 20_000) / timeScale;
  return { requests, idealMs };
}

const results: Record<string, unknown>[] = [];
console.log(`tenant-sync bench: simulator clock x${timeScale} (documented limits and Retry-After scaled by 1/${timeScale}), latency ${latencyMs} ms per request (scaled), Node ${process.version}`);
for (const size of sizes) {
  const sim = await startSimulator({
    tenant: size === 'seeded' ? true : { objects: Number(size), seed: 42 },
    timeScale,
    retryAfterMode: 'decimal',
  });
  try {
    sim.faults.add({ kind: 'latency', fixedMs: latencyMs, jitterMs: latencyMs / 2 });
    const root = mkdtempSync(join(tmpdir(), 'tenant-sync-bench-'));
    const bound = lowerBound(sim);
    const first = await backup(sim, root);
    const again = await backup(sim, root);
    const row = {
      size,
      objects: first.objects,
      failedTypes: first.failedTypes,
      backup: {
        wallS: first.wallMs / 1000,
        httpRequests: first.graph.requests,
        graphRequests: first.graph.graphRequests,
        throttled: first.graph.throttled,
        retries: first.graph.retries,
        peakRssMb: first.peakRssMb,
        cpuS: first.cpuS,
        requestsOverLowerBound: first.graph.graphRequests / bound.requests,
        idealOverWall: bound.idealMs / first.wallMs,
        lowerBoundRequests: bound.requests,
        idealS: bound.idealMs / 1000,
      },
      resync: { graphRequests: again.graph.graphRequests, filesWritten: again.written, filesDeleted: again.deleted, wallS: again.wallMs / 1000 },
    };
    results.push(row);
    const b = row.backup;
    console.log(`\n${size === 'seeded' ? 'seeded tenant' : `${size} objects`}: ${row.objects} objects backed up, ${row.failedTypes} failed types`);
    console.log(`  backup   wall ${b.wallS.toFixed(2)} s | ${b.graphRequests} Graph requests in ${b.httpRequests} HTTP | 429s ${b.throttled} | retries ${b.retries} | peak RSS ${b.peakRssMb.toFixed(0)} MB | CPU ${b.cpuS.toFixed(1)} s (simulator ${first.simCpuS?.toFixed(1)} s)`);
    console.log(`           requests / lower bound ${b.requestsOverLowerBound.toFixed(3)} (${b.lowerBoundRequests}) | throttle-bound ideal ${b.idealS.toFixed(2)} s / wall = ${b.idealOverWall.toFixed(2)}`);
    console.log(`  resync   wall ${row.resync.wallS.toFixed(2)} s | ${row.resync.graphRequests} Graph requests | files written ${row.resync.filesWritten}, removed ${row.resync.filesDeleted}`);
  } finally {
    await sim.close();
  }
}
// Reconcile and plan over a large tree, in its own process (its peak memory is its own).
const planObjects = Number(process.env.BENCH_PLAN_OBJECTS ?? 50_000);
const { stdout: planOut } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/bench-plan.ts', String(planObjects)], { maxBuffer: 16 * 1024 * 1024 });
const planResult = JSON.parse(planOut) as { objects: number; planned: number; planS: number; reconcileS: number; markdownS: number; peakRssMb: number; markdownChars: number };
console.log(
  `\nplan over ${planResult.objects} objects (${planResult.planned} changes): ${planResult.planS.toFixed(2)} s (reconcile ${planResult.reconcileS.toFixed(2)} s, Markdown ${planResult.markdownS.toFixed(2)} s, ${planResult.markdownChars} characters) | peak RSS ${planResult.peakRssMb.toFixed(0)} MB`,
);
results.push({ size: `plan-${planObjects}`, plan: planResult });

mkdirSync('bench', { recursive: true });
writeFileSync(join('bench', 'results.json'), `${JSON.stringify({ timeScale, latencyMs, node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
console.log('\nwrote bench/results.json');
