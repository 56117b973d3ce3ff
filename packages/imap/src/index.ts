export { backoffDelay } from "./backoff.js";
export type { ClientOptions, ImapTarget } from "./client.js";
export {
  checkImapTarget,
  connectionOptions,
  createClient,
  DestinationRefused,
  describeError,
  describeErrorForTenant,
  isAuthFailure,
} from "./client.js";
export type { FolderWatcherDeps, StartPosition, WatchState, WatchTiming } from "./folder-watcher.js";
export { DEFAULT_WATCH_TIMING, FolderWatcher } from "./folder-watcher.js";
export type { ConnectionPool, PoolMailbox } from "./pool.js";
export { createConnectionPool, ImapSessionLost } from "./pool.js";
export type { SelectedFolder } from "./select.js";
export { selectFolder, statusUidValidity } from "./select.js";
export { budgetDeferDelay, SessionBudgetFull, sessionLimit } from "./session-limit.js";
export type { ListedFolder } from "./special-use.js";
export { announcedSpecialUse } from "./special-use.js";
export type { Supervisor, SupervisorDeps } from "./supervisor.js";
export { createSupervisor } from "./supervisor.js";
