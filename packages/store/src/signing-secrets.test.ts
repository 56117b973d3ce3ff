import { describe, expect, it } from "vitest";
import { signingSecrets } from "./records.js";

describe("signingSecrets", () => {
  const now = Date.parse("2026-11-26T12:00:00Z");

  it("signs with the active secrets, then retired ones inside their overlap window", () => {
    expect(
      signingSecrets(
        {
          secrets: ["whsec_new"],
          retiring: [
            { secret: "whsec_old", expiresAt: "2026-11-26T12:00:01Z" },
            { secret: "whsec_older", expiresAt: "2026-11-26T11:59:59Z" },
          ],
        },
        now,
      ),
    ).toEqual(["whsec_new", "whsec_old"]);
  });

  it("drops a retired secret exactly at its expiry and never lists one twice", () => {
    expect(
      signingSecrets(
        {
          secrets: ["whsec_a"],
          retiring: [
            { secret: "whsec_b", expiresAt: "2026-11-26T12:00:00Z" },
            { secret: "whsec_a", expiresAt: "2026-11-27T00:00:00Z" },
          ],
        },
        now,
      ),
    ).toEqual(["whsec_a"]);
  });

  it("is just the active secrets without a rotation", () => {
    expect(signingSecrets({ secrets: ["whsec_a", "whsec_b"] }, now)).toEqual(["whsec_a", "whsec_b"]);
  });
});
