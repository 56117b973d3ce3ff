import { describe, expect, it } from "vitest";
import { renderDocsPage } from "./docs-page.js";

describe("renderDocsPage", () => {
  it("lists every operation and schema, escaping everything taken from the document", () => {
    const html = renderDocsPage({
      openapi: "3.1.0",
      info: { title: "t <b>", version: "1", description: "<script>alert(1)</script>" },
      paths: {
        "/v1/x/{id}": {
          get: { summary: "get <img src=x onerror=alert(1)>", responses: { "200": { description: "ok" } } },
          post: {
            summary: "make",
            parameters: [{ name: "id", in: "path", required: true }],
            requestBody: {
              content: { "application/json": { schema: { type: "object", description: "</pre><script>" } } },
            },
            responses: { "201": { description: "made" } },
          },
          parameters: [],
        },
      },
      components: { schemas: { Thing: { type: "string" } } },
    });
    expect(html).toContain("GET /v1/x/{id}");
    expect(html).toContain("POST /v1/x/{id}");
    expect(html).toContain('id="schema-Thing"');
    expect(html).not.toMatch(/<script|<img/i);
    expect(html).toContain("&#60;script&#62;alert(1)&#60;/script&#62;");
  });
});
