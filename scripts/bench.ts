// npm run bench: backups of generated tenants against the simulator with Graph's documented
// throttling on, measured against the throttle-bound ideal; a no-change resync; a deploy of 500
// changes; the same backup by a naive client; plan over 50,000 objects. Prints a table per size and
// writes bench/results.json. Sizes: BENCH_SIZES=1000,10000,50000 (default; 'seeded' for the fixtures).
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { resources } from '../src/resources/catalogue.js';
import { startSimulator, type Simulator } from '../test/simulator/index.js';
import { DOCUMENTED_LIMITS, type Limit } from '../test/simulator/throttle.js';

const timeScale = Number(process.env.BENCH_TIME_SCALE ?? 10);
const sizes = (process.env.BENCH_SIZES ?? '1000,10000,50000').split(',');
const PARTS = ['backup', 'resync', 'deploy', 'naive', 'plan'];
const parts = new Set((process.env.BENCH_PARTS ?? PARTS.join(',')).split(',').map((p) => p.trim()));
for (const p of parts) {
  if (!PARTS.includes(p)) throw new Error(`BENCH_PARTS: unknown part '${p}'; use a comma-separated list of ${PARTS.join(', ')}`);
}
// Every other part measures against the backup's tree.
parts.add('backup');
// Graph's round trip as seen from a GitHub-hosted runner: Graph's own processing time, not the
// network, dominates it; reads of the directory take about 100 ms and Intune's (deviceManagement)
// 200 ms and more. The simulator waits latencyMs plus a uniform jitter of up to half of it (150 to
// 225 ms by default, 188 ms on average), divided by the time scale like every other duration.
const DEFAULT_LATENCY_MS = 150;
const latencyMs = Number(process.env.BENCH_LATENCY_MS ?? DEFAULT_LATENCY_MS);
const latencyReason =
  process.env.BENCH_LATENCY_MS === undefined
    ? `default: Graph round trips from a GitHub-hosted runner are typically 100-300 ms (Graph's processing, Intune reads at the upper end)`
    : 'set by BENCH_LATENCY_MS';
/** The shortest round trip the simulator answers in (its latency without jitter), in scaled ms */
const minRoundTripMs = latencyMs / timeScale;

interface Measured {
  wallMs: number;
  objects: number;
  failedTypes: number;
  written: number;
  deleted: number;
  graph: { requests: number; graphRequests: number; batchedItems: number; retries: number; throttled: number; failures: number };
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

const run = promisify(execFile);
const deployChanges = Number(process.env.BENCH_DEPLOY_CHANGES ?? 500);
/** Sizes above this read details and children for a sample of the objects in the naive run (1 in 10) */
const naiveFullUpTo = Number(process.env.BENCH_NAIVE_FULL_UP_TO ?? 10_000);

interface Deployed {
  changes: number;
  wallMs: number;
  status: string;
  writes: number;
  counts: Record<string, number>;
  graph: { throttled: number; requests: number; graphRequests: number };
  peakRssMb: number;
}
async function deploy(sim: Simulator, root: string): Promise<Deployed & { intuneWrites: number; writeSpanMs: number; sim429: number }> {
  sim.clearWrites();
  const before = sim.counters().throttled;
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'scripts/bench-deploy.ts', JSON.stringify({ tenantId: sim.tenantId, clientId: sim.apps.secret.clientId, secret: sim.apps.secret.clientSecret, root, timeScale, changes: deployChanges })],
    { env: { ...process.env, ...sim.env() }, maxBuffer: 64 * 1024 * 1024 },
  );
  const writes = sim.writes();
  const intune = writes.filter((w) => resources.find((r) => r.type === w.type)?.throttle === 'intune');
  const times = writes.map((w) => Number(new Date(w.time as unknown as string)));
  return {
    ...(JSON.parse(stdout) as Deployed),
    intuneWrites: intune.length,
    writeSpanMs: times.length > 1 ? Math.max(...times) - Math.min(...times) : 0,
    sim429: sim.counters().throttled - before,
  };
}

async function naive(sim: Simulator, sample: number): Promise<{ wallMs: number; measuredMs: number; requests: number; throttled: number; objects: number; sample: number }> {
  const { stdout } = await run(
    process.execPath,
    ['--import', 'tsx', 'scripts/bench-naive.ts', JSON.stringify({ graphUrl: sim.graphUrl, token: sim.issueAccessToken(), timeScale, sample })],
    { env: { ...process.env, ...sim.env() }, maxBuffer: 16 * 1024 * 1024 },
  );
  return JSON.parse(stdout) as { wallMs: number; measuredMs: number; requests: number; throttled: number; objects: number; sample: number };
}

/**
 * Fewest Graph requests a complete backup needs (list pages, detail reads, child pages, name
 * look-ups), by throttle bucket, and the longest chain of requests that must follow one another
 * (a type's list pages, then an object's child pages, then the names it refers to).
 */
function lowerBound(sim: Simulator): { requests: number; byBucket: Record<string, number>; chain: number } {
  const page = 100;
  let requests = 0;
  let chain = 0;
  const byBucket: Record<string, number> = {};
  const referenced = new Map<string, Set<string>>();
  for (const def of resources) {
    const objects = sim.state(def.type);
    const listPages = def.kind === 'singleton' ? 1 : Math.max(1, Math.ceil(objects.length / page));
    let n = listPages;
    if (def.detail) n += objects.length;
    let childPages = 0;
    for (const child of def.children) {
      for (const o of objects) {
        const pages = Math.max(1, Math.ceil(((o[child.property] as unknown[] | undefined)?.length ?? 0) / page));
        n += pages;
        childPages = Math.max(childPages, pages);
      }
    }
    const lookups = def.references.some((r) => !resources.some((t) => t.type === r.target)) ? 1 : 0;
    chain = Math.max(chain, listPages + Math.max(def.detail ? 1 : 0, childPages) + lookups);
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
  return { requests, byBucket, chain };
}

/** The documented limits the simulator enforces on each bucket's reads */
const readLimits: Record<string, Limit[]> = {
  conditionalAccess: DOCUMENTED_LIMITS.conditionalAccess ? [DOCUMENTED_LIMITS.conditionalAccess] : [],
  intune: DOCUMENTED_LIMITS.intune ? [DOCUMENTED_LIMITS.intune.perApp, DOCUMENTED_LIMITS.intune.perTenant] : [],
  directory: DOCUMENTED_LIMITS.directory ? [DOCUMENTED_LIMITS.directory] : [],
};

/**
 * The throttle-bound ideal: the least time in which any client could make a complete backup's
 * requests against these limits. A limit of L requests per sliding window W lets the first L
 * through at once, and request k no sooner than W after request k - L: the last of N requests goes
 * out (N - 1) div L windows after the first, and its answer takes a round trip more. Where no
 * window fills (a small tenant), the longest chain of requests that wait for one another binds
 * instead: the ideal is the larger of the two. (The sustained rate, N / L windows, is no bound: a
 * tenant smaller than a window does better.)
 */
function throttleBoundIdeal(bound: ReturnType<typeof lowerBound>): { ms: number; binding: string; sustainedRateMs: number } {
  let best = { ms: bound.chain * minRoundTripMs, binding: `a chain of ${bound.chain} round trips` };
  // The busiest bucket's requests at its sustained rate: the ideal figure of earlier runs, for comparison
  let sustainedRateMs = 0;
  for (const [bucket, n] of Object.entries(bound.byBucket)) {
    for (const limit of readLimits[bucket] ?? []) {
      const windows = Math.floor((n - 1) / limit.requests);
      const ms = (windows * limit.perMs) / timeScale + minRoundTripMs;
      if (ms > best.ms) best = { ms, binding: `${bucket}: ${n} requests, ${windows} full windows of ${limit.requests}` };
      sustainedRateMs = Math.max(sustainedRateMs, ((n / limit.requests) * limit.perMs) / timeScale);
    }
  }
  return { ...best, sustainedRateMs };
}

function intuneWriteLimit(): Limit {
  if (!DOCUMENTED_LIMITS.intune) throw new Error('the simulator documents no Intune limits: the deploy has no write-limit ideal');
  return DOCUMENTED_LIMITS.intune.perAppWrites;
}

function deployRow(deployed: Awaited<ReturnType<typeof deploy>>) {
  // The write-limit ideal: the Intune writes the deploy made at Intune's documented write rate (scaled).
  const writes = intuneWriteLimit();
  const writeIdealMs = ((deployed.intuneWrites / writes.requests) * writes.perMs) / timeScale;
  return {
    changes: deployed.changes,
    status: deployed.status,
    writes: deployed.writes,
    intuneWrites: deployed.intuneWrites,
    throttled: deployed.graph.throttled,
    wallS: deployed.wallMs / 1000,
    writeSpanS: deployed.writeSpanMs / 1000,
    writeIdealS: writeIdealMs / 1000,
    wallOverIdeal: deployed.wallMs / writeIdealMs,
    counts: deployed.counts,
  };
}

const results: Record<string, unknown>[] = [];
const benchStarted = performance.now();
console.log(
  `tenant-sync bench: simulator clock x${timeScale} (documented limits, Retry-After and latency scaled by 1/${timeScale}), latency ${latencyMs}-${latencyMs * 1.5} ms of Graph time per HTTP request (uniform) (${latencyReason}), Node ${process.version}`,
);
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
    const ideal = throttleBoundIdeal(bound);
    const first = await backup(sim, root);
    const again = parts.has('resync') ? await backup(sim, root) : undefined;
    const naiveRun = parts.has('naive') ? await naive(sim, Number(size) > naiveFullUpTo ? 10 : 1) : undefined;
    const deployed = parts.has('deploy') ? await deploy(sim, root) : undefined;
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
        failures: first.graph.failures,
        peakRssMb: first.peakRssMb,
        cpuS: first.cpuS,
        simulatorCpuS: first.simCpuS,
        requestsOverLowerBound: first.graph.graphRequests / bound.requests,
        idealOverWall: ideal.ms / first.wallMs,
        lowerBoundRequests: bound.requests,
        idealS: ideal.ms / 1000,
        idealBinding: ideal.binding,
        sustainedRateS: ideal.sustainedRateMs / 1000,
      },
      resync: again && { graphRequests: again.graph.graphRequests, filesWritten: again.written, filesDeleted: again.deleted, wallS: again.wallMs / 1000 },
      deploy: deployed && deployRow(deployed),
      naive: naiveRun && {
        wallS: naiveRun.wallMs / 1000,
        measuredS: naiveRun.measuredMs / 1000,
        sampled: naiveRun.sample > 1 ? `details and children of 1 object in ${naiveRun.sample}, extrapolated` : false,
        requests: naiveRun.requests,
        throttled: naiveRun.throttled,
        speedUp: naiveRun.wallMs / first.wallMs,
        // No client can beat the throttle-bound ideal: this is the most the speed-up can be.
        speedUpUpperBound: naiveRun.wallMs / ideal.ms,
      },
    };
    results.push(row);
    const b = row.backup;
    const r = row.resync;
    const d = row.deploy;
    const n = row.naive;
    const f = (x: number, digits = 2) => x.toFixed(digits);
    const table: [string, string, string][] = [
      ['backup', 'wall', `${f(b.wallS)} s (${row.objects} objects, ${row.failedTypes} failed types, ${b.failures} failed reads)`],
      ['', 'requests', `${b.graphRequests} Graph requests in ${b.httpRequests} HTTP`],
      ['', '429s / retries', `${b.throttled} / ${b.retries}`],
      ['', 'peak RSS', `${f(b.peakRssMb, 0)} MB (CPU ${f(b.cpuS, 1)} s; simulator ${f(b.simulatorCpuS ?? 0, 1)} s)`],
      ['', 'requests / lower bound', `${f(b.requestsOverLowerBound, 3)} (lower bound ${b.lowerBoundRequests})`],
      ['', 'ideal / wall', `${f(b.idealOverWall)} (throttle-bound ideal ${f(b.idealS)} s: ${b.idealBinding}; busiest bucket at its sustained rate ${f(b.sustainedRateS)} s)`],
      ...(r
        ? ([
            ['resync', 'requests', `${r.graphRequests}`],
            ['', 'files written', `${r.filesWritten} (removed ${r.filesDeleted})`],
            ['', 'wall', `${f(r.wallS)} s`],
          ] as [string, string, string][])
        : []),
      ...(d
        ? ([
            ['deploy', 'changes / writes', `${d.changes} / ${d.writes} (${d.intuneWrites} Intune; ${d.status}: ${d.counts.applied ?? 0} applied)`],
            ['', '429s', `${d.throttled}`],
            ['', 'wall / write ideal', `${f(d.wallOverIdeal)} (${f(d.wallS)} s / ${f(d.writeIdealS)} s; first to last write ${f(d.writeSpanS)} s)`],
          ] as [string, string, string][])
        : []),
      ...(n
        ? ([
            ['naive', 'wall', `${f(n.wallS)} s${n.sampled ? ` (sampled: ${n.sampled}; measured ${f(n.measuredS)} s)` : ''}, ${n.requests} requests, ${n.throttled} 429s`],
            ['', 'speed-up', `${f(n.speedUp, 1)}x (at most ${f(n.speedUpUpperBound, 1)}x: naive wall / throttle-bound ideal)`],
          ] as [string, string, string][])
        : []),
    ];
    console.log(`\n${size === 'seeded' ? 'seeded tenant' : `${size} objects`}`);
    const w0 = Math.max(...table.map((r) => r[0].length));
    const w1 = Math.max(...table.map((r) => r[1].length));
    for (const [a, c, v] of table) console.log(`  ${a.padEnd(w0)} | ${c.padEnd(w1)} | ${v}`);
  } finally {
    await sim.close();
  }
}
// Reconcile and plan over a large tree, in its own process (its peak memory is its own).
if (parts.has('plan')) {
  const planObjects = Number(process.env.BENCH_PLAN_OBJECTS ?? 50_000);
  const { stdout: planOut } = await promisify(execFile)(process.execPath, ['--import', 'tsx', 'scripts/bench-plan.ts', String(planObjects)], { maxBuffer: 16 * 1024 * 1024 });
  const planResult = JSON.parse(planOut) as { objects: number; planned: number; planS: number; reconcileS: number; markdownS: number; peakRssMb: number; markdownChars: number };
  console.log(
    `\nplan over ${planResult.objects} objects (${planResult.planned} changes): ${planResult.planS.toFixed(2)} s (reconcile ${planResult.reconcileS.toFixed(2)} s, Markdown ${planResult.markdownS.toFixed(2)} s, ${planResult.markdownChars} characters) | peak RSS ${planResult.peakRssMb.toFixed(0)} MB`,
  );
  results.push({ size: `plan-${planObjects}`, plan: planResult });
}

mkdirSync('bench', { recursive: true });
writeFileSync(join('bench', 'results.json'), `${JSON.stringify({ timeScale, latencyMs, latencyReason, parts: [...parts], node: process.version, date: new Date().toISOString(), results }, null, 2)}\n`);
console.log(`\nwrote bench/results.json (whole run ${((performance.now() - benchStarted) / 60_000).toFixed(1)} min)`);
