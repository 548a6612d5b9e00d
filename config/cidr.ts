/**
 * IP addresses and CIDR blocks (RFC 4632 for IPv4, RFC 4291 §2.2–2.3 for IPv6): parse, format,
 * match. Pure, no I/O, never throws. The config schema validates trunk allowlists with it and the
 * gateway matches a SIP request's source address against those allowlists with it.
 *
 * Addresses are held as bigints (32 bits for IPv4, 128 for IPv6), so a match is one mask and one
 * compare.
 */

export type IpFamily = 4 | 6;

export interface IpAddress {
  readonly family: IpFamily;
  readonly value: bigint;
}

export interface Cidr {
  readonly family: IpFamily;
  /** The network address: host bits are always zero. */
  readonly network: bigint;
  /** Prefix length: 0–32 for IPv4, 0–128 for IPv6. */
  readonly prefix: number;
}

export type IpParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const BITS: Record<IpFamily, number> = { 4: 32, 6: 128 };

/** `::ffff:0:0/96`, the IPv4-mapped IPv6 range (RFC 4291 §2.5.5.2). */
const V4_MAPPED_PREFIX = 0xffffn << 32n;

/**
 * Parse a literal IPv4 (dotted quad) or IPv6 address. Brackets around IPv6 and zone ids
 * (`fe80::1%eth0`) are not accepted: callers strip brackets themselves, and a zone is local to one
 * host, meaningless in an allowlist.
 */
export function parseIpAddress(text: string): IpParseResult<IpAddress> {
  if (text.includes(':')) {
    const v6 = parseIpv6(text);
    return v6 === undefined
      ? { ok: false, reason: `'${text}' is not an IPv6 address` }
      : { ok: true, value: { family: 6, value: v6 } };
  }
  const v4 = parseIpv4(text);
  return v4 === undefined
    ? { ok: false, reason: `'${text}' is not an IPv4 address` }
    : { ok: true, value: { family: 4, value: v4 } };
}

/**
 * Parse `address/prefix`; a bare address means a single host (/32 or /128). Host bits set below
 * the prefix are refused rather than masked, since `203.0.113.7/24` is usually a typo for either
 * a /32 or a /24, and the reason names the network that was probably meant.
 */
export function parseCidr(text: string): IpParseResult<Cidr> {
  const slash = text.indexOf('/');
  const addrText = slash < 0 ? text : text.slice(0, slash);
  const addr = parseIpAddress(addrText);
  if (!addr.ok) return addr;
  const bits = BITS[addr.value.family];
  let prefix = bits;
  if (slash >= 0) {
    const prefixText = text.slice(slash + 1);
    if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText) || Number(prefixText) > bits) {
      return { ok: false, reason: `prefix length '${prefixText}' must be an integer 0–${bits}` };
    }
    prefix = Number(prefixText);
  }
  const network = addr.value.value & mask(addr.value.family, prefix);
  const cidr: Cidr = { family: addr.value.family, network, prefix };
  if (network !== addr.value.value) {
    return { ok: false, reason: `host bits are set below /${prefix}; the network is ${formatCidr(cidr)}` };
  }
  return { ok: true, value: cidr };
}

/**
 * Whether `address` lies inside `cidr`. An IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, which a
 * dual-stack socket reports for IPv4 peers) matches IPv4 blocks as the IPv4 address it carries.
 */
export function cidrContains(cidr: Cidr, address: IpAddress): boolean {
  const addr = unmapIpv4(address);
  if (addr.family !== cidr.family) return false;
  return (addr.value & mask(cidr.family, cidr.prefix)) === cidr.network;
}

/** `::ffff:a.b.c.d` → the IPv4 address; any other address unchanged. */
export function unmapIpv4(address: IpAddress): IpAddress {
  if (address.family === 6 && address.value >> 32n === V4_MAPPED_PREFIX >> 32n) {
    return { family: 4, value: address.value & 0xffffffffn };
  }
  return address;
}

/**
 * A block written in IPv4-mapped form (`::ffff:192.0.2.0/120`, RFC 4291 §2.5.5.2) is the IPv4
 * block it names (`192.0.2.0/24`): addresses are unmapped before they are matched, so the two
 * spellings hold the same sources. Any other block unchanged.
 */
export function unmapCidr(cidr: Cidr): Cidr {
  if (cidr.family === 6 && cidr.prefix >= 96 && cidr.network >> 32n === V4_MAPPED_PREFIX >> 32n) {
    return { family: 4, network: cidr.network & 0xffffffffn, prefix: cidr.prefix - 96 };
  }
  return cidr;
}

/**
 * The value whose block holds `address` with the longest prefix (the most specific block wins,
 * as in IP routing), or undefined when no block holds it or the address does not parse.
 */
export function matchLongestPrefix<T>(
  entries: ReadonlyArray<{ readonly cidr: Cidr; readonly value: T }>,
  address: string,
): T | undefined {
  const parsed = parseIpAddress(address);
  if (!parsed.ok) return undefined;
  let best: { prefix: number; value: T } | undefined;
  for (const e of entries) {
    if (cidrContains(e.cidr, parsed.value) && (best === undefined || e.cidr.prefix > best.prefix)) {
      best = { prefix: e.cidr.prefix, value: e.value };
    }
  }
  return best?.value;
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run compressed). */
export function formatIpAddress(address: IpAddress): string {
  return address.family === 4 ? formatIpv4(address.value) : formatIpv6(address.value);
}

export function formatCidr(cidr: Cidr): string {
  return `${formatIpAddress({ family: cidr.family, value: cidr.network })}/${cidr.prefix}`;
}

/** Whether the address is in 127.0.0.0/8 or is ::1 (RFC 1122 §3.2.1.3, RFC 4291 §2.5.3). */
export function isLoopback(address: IpAddress): boolean {
  const a = unmapIpv4(address);
  return a.family === 4 ? a.value >> 24n === 127n : a.value === 1n;
}

function mask(family: IpFamily, prefix: number): bigint {
  const bits = BITS[family];
  const all = (1n << BigInt(bits)) - 1n;
  return (all << BigInt(bits - prefix)) & all;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    // Leading zeros are refused: inet_aton reads `010` as octal 8, so the text is ambiguous.
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    value = (value << 8n) | BigInt(n);
  }
  return value;
}

/** RFC 4291 §2.2: eight hex groups, one `::` for a run of zero groups, optional dotted-quad tail. */
function parseIpv6(text: string): bigint | undefined {
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const compressed = halves.length === 2;
  const head = splitGroups(halves[0] ?? '');
  const tail = compressed ? splitGroups(halves[1] ?? '') : [];
  // RFC 4291 §2.2 item 3: the low 32 bits may be written as a dotted quad (`::ffff:192.0.2.1`).
  const lastList = tail.length > 0 || compressed ? tail : head;
  let v4Tail: bigint | undefined;
  if (lastList.length > 0 && lastList[lastList.length - 1]?.includes('.')) {
    v4Tail = parseIpv4(lastList.pop() ?? '');
    if (v4Tail === undefined) return undefined;
  }
  const headGroups = hexGroups(head);
  const tailGroups = hexGroups(tail);
  if (headGroups === undefined || tailGroups === undefined) return undefined;
  const width = v4Tail === undefined ? 8 : 6;
  const explicit = headGroups.length + tailGroups.length;
  // `::` stands for one or more zero groups (RFC 4291 §2.2 item 2).
  if (compressed ? explicit >= width : explicit !== width) return undefined;
  const zeros = Array<number>(width - explicit).fill(0);
  let value = 0n;
  for (const g of [...headGroups, ...zeros, ...tailGroups]) value = (value << 16n) | BigInt(g);
  return v4Tail === undefined ? value : (value << 32n) | v4Tail;
}

function splitGroups(text: string): string[] {
  return text === '' ? [] : text.split(':');
}

function hexGroups(list: readonly string[]): number[] | undefined {
  const out: number[] = [];
  for (const g of list) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
    out.push(parseInt(g, 16));
  }
  return out;
}

function formatIpv4(value: bigint): string {
  return [24n, 16n, 8n, 0n].map((shift) => String((value >> shift) & 0xffn)).join('.');
}

/** RFC 5952 §4: lower case, no leading zeros, the longest run (≥2) of zero groups becomes `::`. */
function formatIpv6(value: bigint): string {
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) groups.push(Number((value >> shift) & 0xffffn));
  let bestStart = -1;
  let bestLen = 0;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestLen < 2) return hex.join(':');
  return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLen).join(':')}`;
}
