/**
 * Runs a tenant simulator as a process (demo, benches, child-process tests):
 *
 *   npx tsx test/simulator/cli.ts [--objects N] [--seed S] [--time-scale K] [--no-throttling]
 *                                 [--login-port P] [--graph-port P] [--ca-dir DIR] [--quiet]
 *
 * Prints one JSON line with the simulator's info (urls, tenant, apps and their credentials, the
 * environment a client process needs: NODE_EXTRA_CA_CERTS, TENANT_SYNC_AUTHORITY_HOST,
 * TENANT_SYNC_GRAPH_ENDPOINT, ACTIONS_ID_TOKEN_REQUEST_URL/TOKEN) on stdout, logs on stderr,
 * and runs until SIGINT/SIGTERM. Control it over HTTP at {graphUrl}/_control/*.
 */
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { startSimulator } from './simulator.js';

const { values } = parseArgs({
  options: {
    objects: { type: 'string' },
    seed: { type: 'string', default: '1' },
    'time-scale': { type: 'string', default: '1' },
    'no-throttling': { type: 'boolean', default: false },
    'login-port': { type: 'string' },
    'graph-port': { type: 'string' },
    'ca-dir': { type: 'string' },
    quiet: { type: 'boolean', default: false },
  },
});

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const seed = Number(values.seed);
const sim = await startSimulator({
  tenant: values.objects ? { objects: Number(values.objects), seed } : true,
  seed,
  timeScale: Number(values['time-scale']),
  throttling: values['no-throttling'] ? false : undefined,
  ports: {
    login: values['login-port'] ? Number(values['login-port']) : undefined,
    graph: values['graph-port'] ? Number(values['graph-port']) : undefined,
  },
  // The same CA as the tests by default, so that one NODE_EXTRA_CA_CERTS serves both.
  caDir: values['ca-dir'] ?? join(root, '.tmp', 'test-ca'),
  log: values.quiet ? undefined : (line) => process.stderr.write(`${line}\n`),
});
process.stdout.write(`${JSON.stringify(sim.info())}\n`);

const stop = () => {
  void sim.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
