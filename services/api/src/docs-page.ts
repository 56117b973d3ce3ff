/**
 * The reference page at /docs: the OpenAPI document rendered as static HTML on the server, with no
 * script and nothing loaded from the network (mailhook often runs where there is no internet, and a
 * page without scripts has no XSS surface). Every route with its parameters, body and responses.
 */
export function renderDocsPage(doc: OpenApiDoc): string {
  const ops: string[] = [];
  const toc: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item ?? {})) {
      if (typeof op !== "object" || op === null || !("responses" in op)) continue;
      const o = op as Operation;
      const anchor = `${method}-${path}`.replace(/[^A-Za-z0-9]+/g, "-");
      toc.push(
        `<li><a href="#${anchor}"><code>${esc(method.toUpperCase())} ${esc(path)}</code></a> ${esc(o.summary ?? "")}</li>`,
      );
      const params = (o.parameters ?? [])
        .map(
          (p) =>
            `<tr><td><code>${esc(p.name)}</code></td><td>${esc(p.in)}</td><td>${p.required ? "yes" : ""}</td><td>${esc(p.description ?? "")}</td></tr>`,
        )
        .join("");
      const body = o.requestBody?.content
        ? Object.entries(o.requestBody.content)
            .map(
              ([type, c]) =>
                `<p>Body <code>${esc(type)}</code></p><pre>${esc(JSON.stringify(c.schema, null, 2))}</pre>`,
            )
            .join("")
        : "";
      const responses = Object.entries(o.responses ?? {})
        .map(([status, r]) => `<li><code>${esc(status)}</code> ${esc(r.description ?? "")}</li>`)
        .join("");
      ops.push(`<section id="${anchor}"><h3><code>${esc(method.toUpperCase())} ${esc(path)}</code></h3>
<p>${esc(o.summary ?? "")}</p>${o.description ? `<p>${esc(o.description)}</p>` : ""}
${params ? `<table><tr><th>parameter</th><th>in</th><th>required</th><th></th></tr>${params}</table>` : ""}
${body}<ul>${responses}</ul></section>`);
    }
  }
  const schemas = Object.entries(doc.components?.schemas ?? {})
    .map(
      ([name, s]) =>
        `<section id="schema-${esc(name)}"><h3>${esc(name)}</h3><pre>${esc(JSON.stringify(s, null, 2))}</pre></section>`,
    )
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:960px;margin:2em auto;padding:0 1em;color:#222}
pre{background:#f6f8fa;padding:.8em;overflow:auto;font-size:13px}section{border-top:1px solid #ddd;margin-top:1.5em}
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:.2em .5em;text-align:left}</style></head>
<body><h1>${esc(doc.info.title)} <small>v${esc(doc.info.version)}</small></h1>
<p>${esc(doc.info.description ?? "")}</p><p>Machine-readable: <a href="/openapi.json">/openapi.json</a> (OpenAPI ${esc(doc.openapi)})</p>
<h2>Routes</h2><ul>${toc.join("")}</ul>${ops.join("")}<h2>Schemas</h2>${schemas}</body></html>`;
}

interface Operation {
  summary?: string;
  description?: string;
  parameters?: { name: string; in: string; required?: boolean; description?: string }[];
  requestBody?: { content?: Record<string, { schema?: unknown }> };
  responses?: Record<string, { description?: string }>;
}

export interface OpenApiDoc {
  openapi: string;
  info: { title: string; version: string; description?: string };
  paths?: Record<string, Record<string, unknown> | undefined>;
  components?: { schemas?: Record<string, unknown> };
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
