export type { ApiDeps } from "./app.js";
export { createApp } from "./app.js";
