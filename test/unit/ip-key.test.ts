import { describe, expect, it } from "vitest";
import { ipLimitKey, MAX_RAW_IP_KEY_LENGTH } from "../../src/services/rate-limit/ip-key.ts";

describe("ipLimitKey: the value per-IP limits count by", () => {
  it.each([
    ["2001:db8:0:1::1", "2001:0db8:0000:0001::/64"],
    ["2001:DB8:0:1:ffff::2", "2001:0db8:0000:0001::/64"],
    ["2001:0db8:0000:0001::3", "2001:0db8:0000:0001::/64"],
    ["2001:0db8:0000:0001:0000:0000:0000:0004", "2001:0db8:0000:0001::/64"],
    ["2001:db8:0:1:1:2:3:4", "2001:0db8:0000:0001::/64"],
    ["2001:db8::", "2001:0db8:0000:0000::/64"],
    ["::1", "0000:0000:0000:0000::/64"],
    ["::", "0000:0000:0000:0000::/64"],
    ["fe80::1%eth0", "fe80:0000:0000:0000::/64"],
    ["2001:db8:0:1::1.2.3.4", "2001:0db8:0000:0001::/64"],
    ["  2001:db8:0:1::9  ", "2001:0db8:0000:0001::/64"],
  ])("IPv6 %s counts by its /64: %s", (ip, key) => {
    expect(ipLimitKey(ip)).toBe(key);
  });

  it("keeps neighbouring /64s apart", () => {
    expect(ipLimitKey("2001:db8:0:1::1")).not.toBe(ipLimitKey("2001:db8:0:2::1"));
  });

  it.each([
    ["192.0.2.7", "192.0.2.7"],
    ["0.0.0.0", "0.0.0.0"],
    ["255.255.255.255", "255.255.255.255"],
    ["192.000.002.007", "192.0.2.7"],
    ["::ffff:192.0.2.7", "192.0.2.7"],
    ["::FFFF:192.0.2.7", "192.0.2.7"],
    ["0:0:0:0:0:ffff:192.0.2.7", "192.0.2.7"],
    ["::ffff:c000:207", "192.0.2.7"],
  ])("IPv4 (and IPv4-mapped IPv6) %s counts by the address: %s", (ip, key) => {
    expect(ipLimitKey(ip)).toBe(key);
  });

  it.each([
    "not-an-ip",
    "256.1.1.1",
    "1.2.3",
    "1.2.3.4.5",
    "1:2:3:4:5:6:7:8:9",
    "1::2::3",
    "::1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7",
    "12345::1",
    "g::1",
    "1.2.3.4::",
    "::ffff:1.2.3.256",
    "",
  ])("an unparsable value %j is used as it is", (value) => {
    expect(ipLimitKey(value)).toBe(value);
  });

  it("bounds the length of an unparsable value", () => {
    const long = "x".repeat(10_000);
    expect(ipLimitKey(long)).toBe("x".repeat(MAX_RAW_IP_KEY_LENGTH));
  });
});
