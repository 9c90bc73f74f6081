/** The GitHub double (GitHub REST API, git smart HTTP and the Actions artifact service). See ../README.md. */
export { startGitHubDouble, GitHubDouble } from './server.js';
export type { GitHubDoubleOptions, ProtectOptions, FailureSpec, PullView, IssueView, ArtifactView, CheckRunView } from './server.js';
export { ACTIONS_BOT, ACTIONS_APP } from './core.js';
export { unzip } from './artifacts.js';
export { loadSpec, matchOperation } from './openapi.js';
export {
  webhookExample,
  pullRequestEvent,
  checkRunRequestedActionEvent,
  workflowDispatchEvent,
  scheduleEvent,
  pushEvent,
  runnerEnv,
  parseCommandFile,
} from './events.js';
export type { WorkflowEvent, RunnerEnv } from './events.js';
export type * from './state.js';
