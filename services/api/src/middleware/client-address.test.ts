import { describe, expect, it } from "vitest";
import { failureBucket } from "./client-address.js";

describe("failed-login buckets", () => {
  it("counts IPv4 addresses one by one and IPv6 addresses by their /64", () => {
    expect(failureBucket("203.0.113.7")).toBe("203.0.113.7");
    expect(failureBucket("2001:db8:1:2::1")).toBe("2001:db8:1:2::/64");
    expect(failureBucket("2001:db8:1:2:ffff:1:2:3")).toBe("2001:db8:1:2::/64");
    expect(failureBucket("2001:0db8:0001:0002:0000:0000:0000:0009")).toBe("2001:db8:1:2::/64");
    expect(failureBucket("::1")).toBe("0:0:0:0::/64");
    expect(failureBucket("fe80::1")).toBe("fe80:0:0:0::/64");
    expect(failureBucket("in-process")).toBe("in-process");
  });
});
