import { createRoute, z } from "@hono/zod-openapi";
import { readConsoleAsset } from "@mailhook/console";
import type { Context } from "hono";
import type { Api } from "../../app.js";
import type { AppEnv } from "../../context.js";
import { ApiError } from "../../errors.js";

/**
 * Same origin as /v1, so the console needs no CORS. Everything it loads comes from this server
 * (the CSP says so to the browser); the token lives in the tab's sessionStorage, never in a cookie.
 */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/** The web console's built files under /console (index.html for the page itself). */
export function registerConsole(app: Api, dir: string | undefined): void {
  const serve = async (c: Context<AppEnv>, name: string) => {
    const asset = dir ? await readConsoleAsset(dir, name) : null;
    if (!asset) {
      if (name === "index.html")
        throw new ApiError(
          404,
          "NOT_FOUND",
          "the console is not built: run `node scripts/build-console.mjs`",
        );
      throw new ApiError(404, "NOT_FOUND", `no console file ${JSON.stringify(name)}`);
    }
    return c.body(asset.body as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": asset.contentType,
      "Content-Security-Policy": CSP,
      "X-Content-Type-Options": "nosniff",
      "Referrer-Policy": "no-referrer",
      "Cache-Control": name === "index.html" ? "no-cache" : "public, max-age=300",
    });
  };
  const page = (path: "/console" | "/console/") =>
    createRoute({
      method: "get",
      path,
      tags: ["operations"],
      summary: "The web console (sign in with a tenant token; see docs/console.md)",
      responses: {
        200: { description: "HTML", content: { "text/html": { schema: z.string() } } },
        404: { description: "The console is not built" },
      },
    });
  app.openapi(page("/console"), (c) => serve(c, "index.html"));
  app.openapi(page("/console/"), (c) => serve(c, "index.html"));
  app.openapi(
    createRoute({
      method: "get",
      path: "/console/{file}",
      tags: ["operations"],
      summary: "A built file of the web console (script, stylesheet)",
      request: { params: z.object({ file: z.string().max(100) }) },
      responses: {
        200: { description: "The file", content: { "text/javascript": { schema: z.string() } } },
        404: { description: "No such file" },
      },
    }),
    (c) => serve(c, c.req.valid("param").file),
  );
}
