export type { WatcherService, WatcherServiceOptions } from "./service.js";
export { startWatcherService } from "./service.js";
