// npm run demo: the embedded demo. Starts the tenant simulator (an HTTPS identity platform and
// Microsoft Graph on loopback), then runs the shipped CLI (dist/cli/index.js) against it the way an
// administrator would, narrating each step. Leaves the repository it made in demo-output/.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startSimulator } from '../test/simulator/index.js';

const out = resolve('demo-output');
const cli = resolve('dist/cli/index.js');
const bold = (s: string) => (process.stdout.isTTY ? `\x1b[1m${s}\x1b[0m` : s);
const step = (n: number, s: string) => console.log(`\n${bold(`── ${n}. ${s}`)}`);
const indent = (s: string) => s.replace(/^/gm, '   ').trimEnd();

if (!existsSync(cli)) {
  console.error('dist/cli/index.js is missing: run "npm run build" first.');
  process.exit(1);
}

const started = Date.now();
const sim = await startSimulator({ timeScale: 1 });
const env = { PATH: process.env.PATH, HOME: process.env.HOME, ...sim.env(), TENANT_SYNC_CLIENT_SECRET: sim.apps.secret.clientSecret };

const runCli = (args: string[]) =>
  new Promise<{ code: number; output: string }>((done) => {
    const child = spawn(process.execPath, [cli, ...args], { cwd: out, env });
    let output = '';
    child.stdout.on('data', (d) => (output += d));
    child.stderr.on('data', (d) => (output += d));
    child.on('close', (code) => done({ code: code ?? 1, output }));
  });
const git = (...args: string[]) => execFileSync('git', args, { cwd: out, encoding: 'utf8' });
const commit = (message: string) => {
  git('add', '-A');
  if (git('status', '--porcelain').trim() === '') return 'nothing to commit: the backup changed no byte';
  git('-c', 'user.name=tenant-sync demo', '-c', 'user.email=demo@tenant-sync.invalid', 'commit', '-q', '-m', message);
  return git('show', '--stat', '--format=%h %s', 'HEAD').trim();
};

try {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(out, { recursive: true });
  git('init', '-q', '-b', 'main');
  writeFileSync(
    join(out, 'tenant-sync.yml'),
    `version: 1
tenants:
  - name: contoso
    tenant-id: ${sim.tenantId}
    client-id: ${sim.apps.secret.clientId}
    auth:
      method: secret          # the secret is read from TENANT_SYNC_CLIENT_SECRET, never from this file
`,
  );

  console.log(bold('tenant-sync demo'));
  console.log(indent(`Simulated tenant "contoso" (${sim.tenantId})\nsign-in: ${sim.loginUrl}  Graph: ${sim.graphUrl}\nTLS trusted through NODE_EXTRA_CA_CERTS=${sim.caCertPath}`));

  step(1, 'Back up the tenant (tenant-sync backup --tenant contoso)');
  let r = await runCli(['backup', '--tenant', 'contoso']);
  console.log(indent(r.output));
  console.log(indent(commit('Backup of contoso')));

  step(2, 'One file per policy, references by name: a conditional access policy');
  const policy = join('tenants', 'contoso', 'entra', 'conditionalAccessPolicies', 'Require FIDO2 for helpdesk outside allowed countries.json');
  console.log(indent(`${policy}:\n${readFileSync(join(out, policy), 'utf8')}`));

  step(3, 'Back up again with nothing changed in the tenant');
  r = await runCli(['backup', '--tenant', 'contoso']);
  console.log(indent(r.output.split('\n').slice(-3).join('\n')));
  console.log(indent(commit('Backup of contoso')));

  step(4, 'An administrator changes the tenant in the portal, then the next backup');
  const [location] = sim.state('namedLocations');
  sim.tenant.update('namedLocations', String(location!.id), { displayName: 'Head office' });
  const [filter] = sim.state('assignmentFilters');
  sim.tenant.remove('assignmentFilters', String(filter!.id));
  console.log(indent(`renamed the named location "${location!.displayName}" to "Head office"; deleted the assignment filter "${filter!.displayName}"`));
  r = await runCli(['backup', '--tenant', 'contoso']);
  console.log(indent(r.output.split('\n').slice(-3).join('\n')));
  console.log(indent(commit('Backup of contoso: changes made in the tenant')));

  step(5, 'A permission is withdrawn: Pending admin consent with the consent link; the type is reported, its files are kept');
  sim.setScenario({ appRoles: sim.scenario.appRoles.filter((p) => !p.startsWith('SharePointTenantSettings')) });
  r = await runCli(['backup', '--tenant', 'contoso']);
  console.log(indent(r.output.split('\n').filter((l) => /FAILED|SharePoint|grants them|types backed up|Pending admin consent/.test(l)).join('\n')));
  console.log(indent(`exit code ${r.code} (6: Pending admin consent)`));
  console.log(indent(commit('Backup of contoso')));

  step(6, 'Graph throttling at the documented limits');
  const c = sim.counters();
  console.log(indent(`simulator saw ${c.httpRequests} HTTP requests carrying ${c.requests} Graph requests (${c.batches} $batch envelopes), ${c.throttled} answered 429 (${JSON.stringify(c.throttledByBucket)}); writes to the tenant: ${sim.writes().length}`));

  console.log(`\n${bold('Done')} in ${((Date.now() - started) / 1000).toFixed(1)} s. The repository is in ${out}: try "git -C demo-output log --stat".`);
} finally {
  await sim.close();
}
