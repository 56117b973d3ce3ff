export type { WorkerService, WorkerServiceOptions } from "./service.js";
export { startWorkerService } from "./service.js";
