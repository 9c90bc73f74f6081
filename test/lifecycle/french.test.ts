/** language: fr — what a person reads on GitHub is French; machine-readable output stays English */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configText } from '../backup/helpers.js';
import { pushEvent, scheduleEvent } from '../github/double/index.js';
import { dashboardIssues, flipTrust, runAction, startLifecycle, type ActionRun, type Lifecycle } from './harness.js';

let lc: Lifecycle;
beforeAll(async () => {
  lc = await startLifecycle({ config: '' });
  await lc.gh.commitFiles('main', { 'tenant-sync.yml': configText(lc.sim, '    language: fr\n') }, 'French');
});
afterAll(async () => {
  await lc?.close();
});

const french = ['Démarrage', 'En cours', 'Approbation en attente', 'Inactif'];
const statuses = (run: ActionRun) => run.stdout.split('\n').filter((l) => l.startsWith('contoso: ')).map((l) => l.slice('contoso: '.length).split(' - ')[0]!).filter((s) => french.includes(s));

describe('language: fr', () => {
  it('statuses, the approval pull request, the check run, its buttons, the summary and the dashboard are in French; outputs stay English', async () => {
    const first = await runAction(lc, await scheduleEvent(lc.gh));
    expect(statuses(first)).toEqual(['Démarrage', 'En cours', 'Inactif']);
    expect(first.outputs['status-contoso']).toBe('Idle');
    await flipTrust(lc, 'Changement');
    const event = await pushEvent(lc.gh, 'main');
    const run = await runAction(lc, event);
    expect(statuses(run)).toEqual(['Démarrage', 'En cours', 'Approbation en attente']);
    expect(run.outputs['status-contoso']).toBe('Pending approval');
    const pr = lc.gh.pulls().find((p) => p.state === 'open')!;
    expect(pr.body).toContain('**Fusionnez** cette demande de tirage');
    expect(pr.body).not.toContain('Merge this pull request');
    expect(pr.title).toBe('tenant-sync\u00a0: modifications de contoso (1 à mettre à jour)');
    const check = lc.gh.checkRuns({ name: 'tenant-sync / contoso', headSha: event.sha }).at(-1)!;
    expect(check.output?.title).toBe('Approbation en attente');
    expect(check.actions.map((a) => a.label)).toEqual(['Approuver', 'Rejeter', 'Rejeter et rétablir']);
    expect(check.output?.summary).toContain('Plan\u00a0:');
    expect(run.summary).toContain('### contoso\u00a0: Approbation en attente');
    expect(run.summary).toContain('Des modifications de contoso attendent une approbation dans #');
    expect(run.summary).not.toContain('await approval');
    const dashboard = dashboardIssues(lc)[0]!;
    expect(dashboard.body).toMatch(/\| contoso \| \[?Approbation en attente/);
    // plan.json stays machine-readable English
    const plan = JSON.parse((await lc.gh.readFile('tenant-sync/approve/contoso', '.tenant-sync/contoso/plan.json'))!) as { items: { action: string }[] };
    expect(plan.items.map((i) => i.action)).toEqual(['update']);
    expect(lc.gh.problems()).toEqual([]);
  });
});
