/**
 * The per-IP identity a client is limited by. One host usually owns a whole IPv6 /64 (SLAAC and
 * privacy extensions rotate the low 64 bits at will), so counting IPv6 per address would give an
 * attacker 2^64 fresh budgets; IPv4 is counted per address.
 */

/** Unparsable values are used as they are, cut to this length so keys stay bounded. */
export const MAX_RAW_IP_KEY_LENGTH = 64;

const DOTTED_QUAD = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

/** `a.b.c.d` with each octet 0-255, or undefined. */
function parseIpv4(value: string): number[] | undefined {
  const m = DOTTED_QUAD.exec(value);
  if (!m) return undefined;
  const octets = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])];
  return octets.every((n) => n <= 255) ? octets : undefined;
}

/** The eight 16-bit groups of an IPv6 address (`::`, an embedded IPv4 tail, a zone id), or undefined. */
function parseIpv6(value: string): number[] | undefined {
  const address = value.replace(/%.*$/, "");
  const halves = address.split("::");
  if (halves.length > 2) return undefined;
  // A dotted IPv4 tail may only end the address.
  const groupsOf = (part: string, last: boolean): number[] | undefined => {
    if (part === "") return [];
    const groups: number[] = [];
    const pieces = part.split(":");
    for (const [i, piece] of pieces.entries()) {
      if (last && i === pieces.length - 1 && piece.includes(".")) {
        const v4 = parseIpv4(piece);
        if (!v4) return undefined;
        groups.push(
          ((v4[0] as number) << 8) | (v4[1] as number),
          ((v4[2] as number) << 8) | (v4[3] as number),
        );
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) {
        groups.push(Number.parseInt(piece, 16));
      } else {
        return undefined;
      }
    }
    return groups;
  };
  const head = groupsOf(halves[0] as string, halves.length === 1);
  const tail = halves.length === 2 ? groupsOf(halves[1] as string, true) : [];
  if (!head || !tail) return undefined;
  if (halves.length === 2) {
    const missing = 8 - head.length - tail.length;
    if (missing < 1) return undefined;
    return [...head, ...new Array<number>(missing).fill(0), ...tail];
  }
  return head.length === 8 ? head : undefined;
}

/** Per isolate: address as sent → its key (`ipLimitKey` runs on every request). */
const keys = new Map<string, string>();
const MAX_REMEMBERED_KEYS = 4096;

/**
 * Normalises a client address into the value per-IP limits count by: IPv4 as dotted decimal,
 * IPv4-mapped IPv6 as its IPv4 address, other IPv6 as its /64 prefix (expanded, lower-case), and
 * anything unparsable as itself (trimmed, at most {@link MAX_RAW_IP_KEY_LENGTH} characters).
 *
 * @example
 * ipLimitKey("2001:DB8:0:1::1"); // "2001:0db8:0000:0001::/64"
 * ipLimitKey("::ffff:192.0.2.7"); // "192.0.2.7"
 */
export function ipLimitKey(value: string): string {
  let key = keys.get(value);
  if (key === undefined) {
    key = limitKeyOf(value);
    // Addresses come back (a client sends many requests); past the bound, start over.
    if (keys.size >= MAX_REMEMBERED_KEYS) keys.clear();
    keys.set(value, key);
  }
  return key;
}

function limitKeyOf(value: string): string {
  const trimmed = value.trim();
  const v4 = parseIpv4(trimmed);
  if (v4) return v4.join(".");
  const v6 = trimmed.includes(":") ? parseIpv6(trimmed) : undefined;
  if (!v6) return trimmed.slice(0, MAX_RAW_IP_KEY_LENGTH);
  const [g0, g1, g2, g3, g4, g5, g6, g7] = v6 as [
    number,
    number,
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0xffff) {
    return [g6 >> 8, g6 & 0xff, g7 >> 8, g7 & 0xff].join(".");
  }
  const hex = (g: number) => g.toString(16).padStart(4, "0");
  return `${[g0, g1, g2, g3].map(hex).join(":")}::/64`;
}
