/**
 * Secrets, end to end, through the bundled action (dist/index.js) against the tenant simulator and
 * the GitHub double.
 *
 * 1. Canaries in every secret the action is given or handed: the client secret (and a wrong one),
 *    the certificate's private key, the token cache key, the GitHub token (INPUT_TOKEN),
 *    ACTIONS_RUNTIME_TOKEN, ACTIONS_ID_TOKEN_REQUEST_TOKEN and the OIDC tokens it mints, and the
 *    access, refresh and id tokens and device codes the identity platform issues. One lifecycle
 *    uses each of them: a first sync (client secret, delegated device-code sign-in), a change that
 *    waits for approval (certificate), the merge that applies it (federated credential), and a
 *    sync with a wrong client secret (New error). Every channel a person or a machine can read
 *    afterwards is scanned for every canary and for anything shaped like a JWT: none may appear.
 *    Each secret must have been registered with `::add-mask::` in the run that used it.
 * 2. The repository: no tracked file holds a real-looking secret (PEM private key, GitHub token,
 *    Azure client secret, JWT, or a literal secret in a YAML example).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pullRequestEvent, pushEvent, scheduleEvent } from '../github/double/index.js';
import { runAction, startLifecycle, statusesOf, type ActionRun, type Lifecycle } from '../lifecycle/harness.js';
import type { Simulator } from '../simulator/index.js';

const exec = promisify(execFile);
const APPROVE = 'tenant-sync/approve/contoso';
const JWT = /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g;

type Method = 'secret' | 'certificate' | 'federated';

function configFor(sim: Simulator, method: Method, cacheFile: string): string {
  const clientId = method === 'secret' ? sim.apps.secret.clientId : sim.apps.certificate.clientId;
  return `version: 1
tenants:
  - name: contoso
    tenant-id: ${sim.tenantId}
    client-id: ${clientId}
    auth:
      method: ${method}
    delegated:
      enabled: true
      timeout-minutes: 1
      cache-file: ${cacheFile}
`;
}

/** The values of the run's ::add-mask:: commands (@actions/core escapes %, CR and LF) */
function masksOf(run: ActionRun): string[] {
  return run.stdout
    .split('\n')
    .filter((l) => l.startsWith('::add-mask::'))
    .map((l) => l.slice('::add-mask::'.length).replace(/\r$/, '').replace(/%0D/g, '\r').replace(/%0A/g, '\n').replace(/%25/g, '%'));
}

const shown = (run: ActionRun) => run.stdout.split('\n').filter((l) => !l.startsWith('::add-mask::')).join('\n');

function claims(jwt: string): Record<string, unknown> {
  try {
    return JSON.parse(Buffer.from(jwt.split('.')[1] ?? '', 'base64url').toString('utf8')) as Record<string, unknown>;
  } catch {
    return {};
  }
}

let lc: Lifecycle;
let cacheDir: string;
const runs: { name: string; method: Method; run: ActionRun }[] = [];
/** Canaries planted (known before the runs) */
const planted = {
  cacheKey: `canary-cache-key-${randomBytes(24).toString('hex')}`,
  wrongSecret: `canary-wrong-secret-${randomBytes(16).toString('hex')}`,
};

beforeAll(async () => {
  cacheDir = await mkdtemp(join(tmpdir(), 'tenant-sync-secrets-cache-'));
  // throttling off (not what is tested here); the person signs in at once when a device code is shown
  lc = await startLifecycle({ sim: { throttling: false, deviceCode: { intervalSeconds: 1, autoApprove: { afterPolls: 1 } } }, config: '' });
  const sim = lc.sim;
  const cacheFile = join(cacheDir, 'contoso.token-cache');
  const env = {
    TENANT_SYNC_TOKEN_CACHE_KEY: planted.cacheKey,
    TENANT_SYNC_CERTIFICATE: `${sim.apps.certificate.privateKeyPem.trim()}\n${sim.apps.certificate.certPem.trim()}\n`,
    ACTIONS_ID_TOKEN_REQUEST_URL: sim.github.requestUrl,
    ACTIONS_ID_TOKEN_REQUEST_TOKEN: sim.github.requestToken,
  };
  const setMethod = (method: Method) => lc.gh.commitFiles('main', { 'tenant-sync.yml': configFor(sim, method, cacheFile) }, `Sign in with ${method}`);

  // 1. First sync: client secret, and the delegated sign-in with a device code
  await setMethod('secret');
  runs.push({ name: 'first sync', method: 'secret', run: await runAction(lc, await scheduleEvent(lc.gh), {}, env) });

  // 2. A change on main waits for approval: certificate
  await setMethod('certificate');
  const tree = await lc.gh.readTree('main');
  const [path, text] = Object.entries(tree).find(([p, t]) => p.includes('/namedLocations/') && t.includes('"isTrusted"'))!;
  const object = JSON.parse(text) as Record<string, unknown>;
  await lc.gh.commitFiles('main', { [path]: `${JSON.stringify({ ...object, isTrusted: !object['isTrusted'] }, null, 2)}\n` }, 'Change trust');
  runs.push({ name: 'change → Pending approval', method: 'certificate', run: await runAction(lc, await pushEvent(lc.gh, 'main'), {}, env) });

  // 3. Merge = approve: federated credential (GitHub OIDC)
  await setMethod('federated');
  const pr = lc.gh.pulls().find((p) => p.state === 'open' && p.head === APPROVE);
  if (!pr) throw new Error(`no approval pull request:\n${runs[1]!.run.stdout}`);
  await lc.gh.mergePullAsUser(pr.number, 'reviewer');
  runs.push({ name: 'merge → apply', method: 'federated', run: await runAction(lc, await pullRequestEvent(lc.gh, pr.number, { sender: 'reviewer' }), {}, env) });

  // 4. A wrong client secret: New error
  await setMethod('secret');
  runs.push({ name: 'wrong secret → New error', method: 'secret', run: await runAction(lc, await scheduleEvent(lc.gh), {}, { ...env, TENANT_SYNC_CLIENT_SECRET: planted.wrongSecret }) });
}, 300_000);

afterAll(async () => {
  await lc?.close();
});

/** Every secret of the lifecycle, by name, with the runs that used it */
function secrets(): { name: string; value: string; usedIn: number[] }[] {
  const sim = lc.sim;
  const core = sim.core;
  const key = sim.apps.certificate.privateKeyPem.trim();
  const out: { name: string; value: string; usedIn: number[] }[] = [
    { name: 'client secret', value: sim.apps.secret.clientSecret, usedIn: [0] },
    { name: 'wrong client secret', value: planted.wrongSecret, usedIn: [3] },
    { name: 'certificate private key', value: key, usedIn: [1] },
    { name: 'token cache key', value: planted.cacheKey, usedIn: [0, 1, 2] },
    { name: 'GitHub token (INPUT_TOKEN)', value: lc.gh.token, usedIn: [0, 1, 2, 3] },
    { name: 'ACTIONS_ID_TOKEN_REQUEST_TOKEN', value: sim.github.requestToken, usedIn: [2] },
  ];
  // Each base64 line of the private key on its own: a key printed line by line is a leak too
  const body = key.split('\n').filter((l) => !l.startsWith('-----') && l.length >= 40);
  body.forEach((line, i) => out.push({ name: `certificate private key, line ${i + 2}`, value: line, usedIn: [] }));
  for (const [token, backend] of lc.gh.core.artifacts.runtimeTokens) {
    const index = runs.findIndex((r) => r.run.runId === backend.runId);
    if (index >= 0) out.push({ name: `ACTIONS_RUNTIME_TOKEN of run ${index + 1}`, value: token, usedIn: [index] });
  }
  for (const token of core.refreshTokens.keys()) out.push({ name: 'refresh token', value: token, usedIn: [] });
  for (const code of core.deviceCodes.keys()) out.push({ name: 'device code', value: code, usedIn: [] });
  return out;
}

/** Everything a person or a machine can read after the lifecycle, by channel */
async function channels(): Promise<Record<string, string>> {
  const gh = lc.gh;
  const out: Record<string, string> = {};
  runs.forEach(({ run }, i) => {
    out[`run ${i + 1} stdout (without ::add-mask::)`] = shown(run);
    out[`run ${i + 1} stderr`] = run.stderr;
    out[`run ${i + 1} job summary`] = run.summary;
    out[`run ${i + 1} step outputs`] = JSON.stringify(run.outputs);
  });
  out['check runs (with every create and update)'] = JSON.stringify(gh.checkRuns());
  out['issues and pull requests (dashboard, approval)'] = JSON.stringify(gh.issues({ includePulls: true }));
  out['pull requests'] = JSON.stringify(gh.pulls());
  out['comments'] = JSON.stringify(gh.comments());
  out['labels'] = JSON.stringify(gh.labels());
  const refs = await gh.refs();
  const trees: string[] = [];
  const messages: string[] = [];
  for (const ref of Object.keys(refs)) {
    for (const [path, text] of Object.entries(await gh.readTree(ref))) trees.push(`${ref}:${path}\n${text}`);
    for (const sha of await gh.log(ref)) {
      const commit = await gh.commit(sha);
      messages.push(JSON.stringify(commit));
    }
  }
  out['files on every branch and ref'] = trees.join('\n');
  out['commits on every branch and ref (messages, authors)'] = messages.join('\n');
  // Every object the repository holds, reachable or not (a pushed-then-replaced commit included)
  out['every git object in the repository'] = (await exec('git', ['--git-dir', gh.bareRepoPath, 'cat-file', '--batch-all-objects', '--batch'], { maxBuffer: 256 * 1024 * 1024, encoding: 'latin1' })).stdout;
  const artifacts = gh.artifacts();
  out['artifacts (every file)'] = artifacts.flatMap((a) => [...a.files()].map(([path, bytes]) => `${a.name}/${path}\n${bytes.toString('utf8')}`)).join('\n');
  out['deploy record'] = artifacts.flatMap((a) => [...a.files()].filter(([path]) => path.includes('deploy-record')).map(([, bytes]) => bytes.toString('utf8'))).join('\n');
  out['REST request bodies GitHub received'] = gh.requests.filter((r) => r.kind === 'rest').map((r) => JSON.stringify({ path: r.path, query: r.query, body: r.body })).join('\n');
  out['token cache at rest'] = (await Promise.all((await readdir(cacheDir)).map((f) => readFile(join(cacheDir, f), 'utf8')))).join('\n');
  return out;
}

describe('secrets in the lifecycle (dist/index.js, simulator, GitHub double)', () => {
  it('the lifecycle ran as a team meets it: Idle, Pending approval, Idle after applying, New error', () => {
    expect(runs.map((r) => statusesOf(r.run).at(-1))).toEqual(['Idle', 'Pending approval', 'Idle', 'New error']);
    expect(statusesOf(runs[0]!.run)).toContain('Pending authentication');
    expect(runs[3]!.run.stdout).toContain('AUTH_BAD_SECRET');
    expect(lc.sim.writes().map((w) => `${w.method} ${w.type}`)).toEqual(['PATCH namedLocations']);
    expect(lc.gh.artifacts().some((a) => a.files().has('deploy-record.json'))).toBe(true);
    // every kind of credential was really used
    const counters = lc.sim.counters();
    expect(Object.keys(counters.tokenRequests).sort()).toEqual(expect.arrayContaining(['client_credentials', 'device_code', 'refresh_token']));
    expect(lc.sim.core.refreshTokens.size).toBeGreaterThan(0);
    expect(lc.gh.problems()).toEqual([]);
  });

  it('no secret, issued token or JWT appears in any channel', async () => {
    const all = secrets();
    const where = await channels();
    const leaks: string[] = [];
    for (const [channel, text] of Object.entries(where)) {
      for (const s of all) if (s.value.length >= 8 && text.includes(s.value)) leaks.push(`${s.name} in ${channel}`);
      for (const m of text.matchAll(JWT)) {
        const c = claims(m[0]);
        leaks.push(`a JWT (${String(c['iss'] ?? c['aud'] ?? 'unknown issuer')}) in ${channel}`);
      }
    }
    // The channels are not empty, and the scan finds a secret where one is (the ::add-mask:: lines)
    for (const channel of ['check runs (with every create and update)', 'every git object in the repository', 'artifacts (every file)', 'deploy record', 'token cache at rest', 'REST request bodies GitHub received']) {
      expect(where[channel]!.length, channel).toBeGreaterThan(100);
    }
    expect(runs[0]!.run.stdout).toContain(lc.sim.apps.secret.clientSecret);
    console.log(`secrets scanned: ${all.length} (${[...new Set(all.map((s) => s.name.replace(/ of run \d+|, line \d+/, '')))].join(', ')}); channels: ${Object.keys(where).length}; leaks: ${leaks.length}`);
    expect([...new Set(leaks)]).toEqual([]);
  });

  it('each secret is registered with ::add-mask:: in the run that used it', () => {
    const missing: string[] = [];
    for (const s of secrets()) {
      if (s.name.startsWith('ACTIONS_RUNTIME_TOKEN')) continue; // the next test
      for (const i of s.usedIn) {
        const masks = masksOf(runs[i]!.run);
        if (!masks.some((m) => m === s.value || (s.value.includes('\n') && m.includes(s.value)))) missing.push(`${s.name} in run ${i + 1} (${runs[i]!.name})`);
      }
    }
    // Issued credentials are not known beforehand: each access token the simulator issued (by its
    // uti claim), each refresh token, each device code and the OIDC token GitHub minted must have
    // been masked in some run
    const masked = runs.flatMap((r) => masksOf(r.run));
    const maskedUtis = new Set(masked.flatMap((m) => [...m.matchAll(JWT)].map((j) => claims(j[0])['uti'])).filter(Boolean));
    expect(lc.sim.core.tokenSeqByUti.size).toBeGreaterThan(0);
    for (const uti of lc.sim.core.tokenSeqByUti.keys()) if (!maskedUtis.has(uti)) missing.push(`an access token (uti ${uti})`);
    for (const token of lc.sim.core.refreshTokens.keys()) if (!masked.includes(token)) missing.push(`a refresh token (${token.slice(0, 6)}…)`);
    for (const code of lc.sim.core.deviceCodes.keys()) if (!masked.includes(code)) missing.push(`a device code (${code.slice(0, 6)}…)`);
    if (!masked.some((m) => claims(m)['iss'] === lc.sim.github.issuer)) missing.push('the GitHub OIDC token of the federated sign-in');
    expect(missing).toEqual([]);
  });

  it('ACTIONS_RUNTIME_TOKEN is registered with ::add-mask:: in the run that uploads artifacts with it', () => {
    // GitHub's runner masks its own runtime token; the action registering it as well keeps it
    // masked where the runner does not (other runners, a token forwarded by a composite step)
    const missing = secrets()
      .filter((s) => s.name.startsWith('ACTIONS_RUNTIME_TOKEN'))
      .flatMap((s) => s.usedIn.filter((i) => !masksOf(runs[i]!.run).includes(s.value)).map((i) => `${s.name} in run ${i + 1} (${runs[i]!.name})`));
    expect(lc.gh.artifacts().length).toBeGreaterThanOrEqual(runs.length);
    expect(missing).toEqual([]);
  });
});

// ------------------------------------------------------------------------------------------------

/**
 * What a real secret looks like. Each pattern names what it finds; a hit fails unless the
 * allowlist below explains it.
 */
const patterns: Record<string, RegExp> = {
  // A PEM private key with a body (the BEGIN line alone, as in an error message or a regex, is not a key)
  'PEM private key': /-----BEGIN [A-Z ]*PRIVATE KEY-----\s*[A-Za-z0-9+/=\r\n]{64,}/g,
  'GitHub token': /gh[pousr]_[A-Za-z0-9]{30,}/g,
  'Azure client secret': /[A-Za-z0-9_~.-]{3}8Q~[A-Za-z0-9_~.-]{31,34}/g,
  JWT: /eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/g,
};

/**
 * A key that names a secret, given a literal value in YAML: `client-secret: abc…`,
 * `TENANT_SYNC_CLIENT_SECRET: abc…`, `password: …`. Values taken from the workflow's secrets or
 * context (`${{ … }}`), environment variable names (`secret-env: NAME`), permission levels
 * (`id-token: write`) and placeholders (`<…>`) are not secrets.
 */
const yamlSecret = /^\s*-?\s*([\w.-]*(?:secret|password|passwd|private[-_]?key|token|credential|cache[-_]key)[\w.-]*)\s*:\s*(.+?)\s*$/gim;
function literalSecret(key: string, value: string): boolean {
  const v = value.replace(/\s+#.*$/, '').replace(/^['"]|['"]$/g, '');
  if (v === '' || v === '|' || v === '>' || v.startsWith('${{') || v.startsWith('<') || v.startsWith('#')) return false;
  if (/-env$/i.test(key) && /^[A-Z_][A-Z0-9_]*$/.test(v)) return false;
  if (/^(read|write|none)$/.test(v)) return false;
  if (/^(true|false|\d+)$/.test(v)) return false;
  if (/^[A-Z_][A-Z0-9_]*$/.test(v) && /env|name/i.test(key)) return false;
  // prose in a list ("token: write" quoted in text) and descriptions
  if (key === 'description' || / /.test(v)) return false;
  return true;
}

/**
 * Hits that are not secrets, each with the reason. Entries are `<path>: <pattern>`. Empty: the
 * tests and the simulator make every key, secret and token at run time (test/simulator/certs.ts
 * and simulator.ts generate keys with generateKeyPairSync and secrets with randomBytes; the GitHub
 * double's token is `ghs_` + randomBytes; the test CA lives in .tmp/, which .gitignore excludes),
 * which the last test checks.
 */
const allowlist: Record<string, string> = {};

describe('the repository holds no real-looking secret', () => {
  it('no tracked file holds a PEM private key, a GitHub token, an Azure client secret, a JWT or a literal secret in YAML', async () => {
    const files = (await exec('git', ['ls-files', '-z'], { maxBuffer: 64 * 1024 * 1024 })).stdout.split('\0').filter(Boolean);
    expect(files.length).toBeGreaterThan(100);
    const hits: string[] = [];
    let scanned = 0;
    for (const file of files) {
      let text: string;
      try {
        text = await readFile(file, 'utf8');
      } catch {
        continue; // deleted in the working tree
      }
      scanned++;
      for (const [name, re] of Object.entries(patterns)) {
        for (const m of text.matchAll(re)) if (!allowlist[`${file}: ${name}`]) hits.push(`${file}: ${name}: ${m[0].slice(0, 24)}…`);
      }
      // YAML files, and YAML code blocks in Markdown (README.md, docs/)
      const yamlParts = /\.ya?ml$/.test(file) ? [text] : file.endsWith('.md') ? [...text.matchAll(/```ya?ml\n([\s\S]*?)```/g)].map((m) => m[1]!) : [];
      for (const part of yamlParts) {
        for (const m of part.matchAll(yamlSecret)) {
          if (literalSecret(m[1]!, m[2]!) && !allowlist[`${file}: yaml ${m[1]}`]) hits.push(`${file}: a literal ${m[1]} in YAML: ${m[0].trim().slice(0, 60)}`);
        }
      }
    }
    console.log(`repository scan: ${scanned} tracked files, ${hits.length} hit(s)`);
    expect(hits).toEqual([]);
  });

  it('the scan finds what it looks for (each pattern against a made-up sample)', () => {
    // Samples are put together at run time so that this file holds none of them
    const b64 = randomBytes(96).toString('base64');
    const samples: Record<string, string> = {
      'PEM private key': `-----BEGIN ${'PRIVATE'} KEY-----\n${b64.slice(0, 64)}\n${b64.slice(64)}\n-----END PRIVATE KEY-----`,
      'GitHub token': `gh${'p'}_${'A1b2C3d4E5'.repeat(4)}`,
      'Azure client secret': `abc${'8Q~'}${'x'.repeat(34)}`,
      JWT: `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x"}').toString('base64url')}.c2ln`,
    };
    for (const [name, sample] of Object.entries(samples)) expect(sample.match(new RegExp(patterns[name]!.source)), name).not.toBeNull();
    const yaml = [...`env:\n  TENANT_SYNC_CLIENT_SECRET: ${'s3cr'}${'etValue123'}\n  client-secret: ${'abcdefgh12345'}\n  TENANT_SYNC_TOKEN_CACHE_KEY: \${{ secrets.KEY }}\n  secret-env: TENANT_SYNC_CLIENT_SECRET\npermissions:\n  id-token: write\n`.matchAll(yamlSecret)].filter((m) => literalSecret(m[1]!, m[2]!)).map((m) => m[1]);
    expect(yaml).toEqual(['TENANT_SYNC_CLIENT_SECRET', 'client-secret']);
  });

  it('the allowlist is justified: keys and secrets are made at run time, and the test CA key is not tracked', async () => {
    const certs = await readFile('test/simulator/certs.ts', 'utf8');
    const simulator = await readFile('test/simulator/simulator.ts', 'utf8');
    const double = await readFile('test/github/double/server.ts', 'utf8');
    expect(certs).toMatch(/generateKeyPairSync\(/);
    expect(simulator).toMatch(/generateKeyPairSync\(/);
    expect(simulator).toMatch(/clientSecret: `Sim8Q~\$\{randomToken\(\d+\)\}`/);
    expect(double).toMatch(/`ghs_\$\{randomBytes\(\d+\)/);
    const tracked = (await exec('git', ['ls-files'])).stdout.split('\n');
    expect(tracked.filter((f) => /(^|\/)(ca-key|.*-key)\.pem$|\.key$|\.pfx$|\.p12$/.test(f))).toEqual([]);
    await expect(exec('git', ['check-ignore', '-q', '.tmp/test-ca/ca-key.pem'])).resolves.toBeDefined();
    for (const entry of Object.keys(allowlist)) expect(allowlist[entry], entry).toMatch(/\S{20,}/);
  });
});
