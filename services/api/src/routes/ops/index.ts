import type { Registry } from "prom-client";
import type { Api } from "../../app.js";
import type { ApiDeps } from "../../deps.js";
import type { OpenApiDoc } from "../../docs-page.js";
import { OPENAPI_INFO } from "../../openapi.js";
import { registerConsole } from "./console.js";
import { registerDocs } from "./docs.js";
import { registerHealthz } from "./healthz.js";
import { registerMetrics } from "./metrics.js";
import { registerOpenapiJson } from "./openapi-json.js";
import { registerReadyz } from "./readyz.js";

/** Unauthenticated operations routes (bind the API to a private interface or put them behind a proxy). */
export function registerOpsRoutes(app: Api, deps: ApiDeps, registry: Registry): void {
  registerHealthz(app);
  registerReadyz(app, deps);
  registerMetrics(app, registry);
  // Built on first request, when every route is registered, then reused.
  let doc: OpenApiDoc | null = null;
  const document = () => {
    doc ??= app.getOpenAPI31Document(OPENAPI_INFO) as unknown as OpenApiDoc;
    return doc;
  };
  registerOpenapiJson(app, document as unknown as () => Record<string, unknown>);
  registerDocs(app, document);
  registerConsole(app, deps.consoleDir);
}
