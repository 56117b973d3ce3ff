import { z } from "@hono/zod-openapi";
import { TenantId } from "@mailhook/store";

export const TenantCreate = z
  .strictObject({
    name: z.string().min(1).max(200),
    id: TenantId.optional().openapi({
      description: "Choose the id, e.g. to adopt a tenant seeded from mailhook.yaml (default: generated)",
    }),
  })
  .openapi("TenantCreate");

export const TenantView = z
  .object({ id: z.string(), name: z.string(), createdAt: z.string() })
  .openapi("Tenant");

export const TenantParam = z.object({
  tenantId: z
    .string()
    .min(1)
    .max(128)
    .openapi({ param: { name: "tenantId", in: "path" } }),
});

export const TokenCreate = z
  .strictObject({
    name: z.string().min(1).max(200),
    readOnly: z.boolean().default(false),
  })
  .openapi("TokenCreate");

export const TokenView = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    name: z.string(),
    readOnly: z.boolean(),
    hint: z.string(),
    createdAt: z.string(),
    revokedAt: z.string().nullable(),
  })
  .openapi("Token");

export const TokenWithSecret = TokenView.extend({
  token: z.string().openapi({ description: "Shown once; only its SHA-256 is stored" }),
}).openapi("TokenWithSecret");

const AllowEntries = z.array(z.string().min(1).max(300)).max(100).default([]);

export const TenantOutboundAllow = z
  .strictObject({
    webhookAllow: AllowEntries.openapi({
      description:
        "Added to WEBHOOK_ALLOW for this tenant's webhook URLs and OAuth token endpoints: addresses, CIDRs or host names, each with an optional port (10.0.0.0/8, 127.0.0.1:8080, [::1]:443, hooks.corp:8443)",
    }),
    imapAllow: AllowEntries.openapi({
      description: "Added to IMAP_ALLOW for this tenant's mailboxes (same forms)",
    }),
  })
  .openapi("TenantOutboundAllow");
