export { type ConsoleAsset, readConsoleAsset } from "./assets.js";
