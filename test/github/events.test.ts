/**
 * Events and the runner environment: a child process reads them through @actions/github's context
 * and writes the job summary and outputs through @actions/core, as the action will.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Octokit } from '@octokit/rest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkRunRequestedActionEvent,
  parseCommandFile,
  pullRequestEvent,
  pushEvent,
  runnerEnv,
  scheduleEvent,
  startGitHubDouble,
  webhookExample,
  type GitHubDouble,
} from './double/index.js';

const exec = promisify(execFile);
let gh: GitHubDouble;
let octokit: Octokit;

beforeAll(async () => {
  gh = await startGitHubDouble();
  octokit = new Octokit({ auth: gh.token, baseUrl: gh.apiUrl, log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } });
});
afterAll(async () => {
  await gh.close();
});

const CHILD = `
import * as core from '@actions/core';
import { context, getOctokit } from '@actions/github';
const octokit = getOctokit(process.env.GITHUB_TOKEN);
const repo = await octokit.rest.repos.get(context.repo);
core.setOutput('event', context.eventName);
core.setOutput('repo', context.repo.owner + '/' + context.repo.repo);
core.setOutput('run', String(context.runId));
core.setOutput('default_branch', repo.data.default_branch);
core.setOutput('payload', JSON.stringify(context.payload));
await core.summary.addHeading('tenant-sync').addRaw('Idle').write();
`;

describe('runner environment', () => {
  it('is what @actions/github and @actions/core read in a child process', async () => {
    const runner = runnerEnv(gh, await scheduleEvent(gh, '0 3 * * *'));
    try {
      await exec(process.execPath, ['--input-type=module', '-e', CHILD], { env: { ...process.env, ...runner.env }, cwd: process.cwd() });
      const out = runner.readOutputs();
      expect(out['event']).toBe('schedule');
      expect(out['repo']).toBe('contoso/tenant-config');
      expect(out['run']).toBe(String(runner.run.id));
      expect(out['default_branch']).toBe('main');
      expect(JSON.parse(out['payload'] ?? '{}')).toMatchObject({ schedule: '0 3 * * *', repository: { full_name: 'contoso/tenant-config' } });
      expect(runner.readSummary()).toContain('<h1>tenant-sync</h1>');
      expect(runner.env['GITHUB_SHA']).toBe(await gh.resolve('main'));
      expect(gh.problems()).toEqual([]);
    } finally {
      runner.cleanup();
    }
  });

  it('parses both forms of the command files', () => {
    expect(parseCommandFile('a=1\nb<<EOF_X\nline 1\nline 2\nEOF_X\n')).toEqual({ a: '1', b: 'line 1\nline 2' });
  });
});

describe('event payloads', () => {
  it('pull_request closed (merged) carries the double pull request', async () => {
    const main = (await gh.resolve('main')) as string;
    const state = await gh.commitFiles('tenant-sync/state/t', { 'a.json': '1\n' }, 'state', { from: main });
    await gh.commitFiles('tenant-sync/approve/t', { 'a.json': '2\n' }, 'desired', { from: state });
    const pr = await octokit.rest.pulls.create({ owner: gh.owner, repo: gh.repo, head: 'tenant-sync/approve/t', base: 'tenant-sync/state/t', title: 'Approve t' });
    await octokit.rest.issues.addLabels({ owner: gh.owner, repo: gh.repo, issue_number: pr.data.number, labels: ['tenant-sync:revert'] });
    const sha = await gh.mergePullAsUser(pr.data.number, 'alice');
    const event = await pullRequestEvent(gh, pr.data.number);
    expect(event).toMatchObject({ name: 'pull_request', ref: `refs/pull/${pr.data.number}/merge`, sha, headRef: 'tenant-sync/approve/t', baseRef: 'tenant-sync/state/t' });
    expect(event.payload).toMatchObject({
      action: 'closed',
      number: pr.data.number,
      pull_request: { merged: true, merge_commit_sha: sha, head: { ref: 'tenant-sync/approve/t' }, base: { ref: 'tenant-sync/state/t' }, labels: [{ name: 'tenant-sync:revert' }] },
      repository: { full_name: 'contoso/tenant-config' },
      sender: { login: 'alice' },
    });
    expect(event.payload).not.toHaveProperty('installation');
  });

  it('check_run requested_action names the button and the sender', async () => {
    const sha = (await gh.resolve('main')) as string;
    const run = await octokit.rest.checks.create({ owner: gh.owner, repo: gh.repo, name: 'tenant-sync: t', head_sha: sha, conclusion: 'failure', output: { title: 'New error', summary: 's' }, actions: [{ label: 'Sync again', description: 'Start a new sync', identifier: 'sync' }] });
    const event = await checkRunRequestedActionEvent(gh, run.data.id, 'sync', { sender: 'mallory' });
    expect(event.payload).toMatchObject({ action: 'requested_action', requested_action: { identifier: 'sync' }, check_run: { id: run.data.id, name: 'tenant-sync: t' }, sender: { login: 'mallory' } });
    await expect(checkRunRequestedActionEvent(gh, run.data.id, 'nope')).rejects.toThrow(/no action nope/);
  });

  it('push lists the pushed commits; webhook examples are available as they are', async () => {
    const before = (await gh.resolve('main')) as string;
    const after = await gh.commitFiles('main', { 'tenants/x/y.json': '{}\n' }, 'Edit y');
    const event = await pushEvent(gh, 'main', before);
    expect(event.payload).toMatchObject({ ref: 'refs/heads/main', before, after, commits: [{ id: after, message: 'Edit y' }] });
    expect(webhookExample('workflow_dispatch')).toHaveProperty('inputs');
  });
});
