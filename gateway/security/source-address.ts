/**
 * The source IP of a request as the gateway's security checks want it: one canonical text per
 * address, whatever shape the SIP server reported it in.
 *
 * drachtio-srf copies the peer address from the control-protocol frame into
 * `req.source_address` verbatim. Depending on the server and the socket that took the packet it
 * can be a dotted quad, a bare IPv6 address, a bracketed IPv6 reference (`[2001:db8::1]`, the
 * RFC 3261 §25.1 `IPv6reference` form), an IPv4-mapped IPv6 address (`::ffff:192.0.2.1`, what a
 * dual-stack socket reports for an IPv4 peer, RFC 4291 §2.5.5.2), or carry a zone id
 * (`fe80::1%eth0`). All of them are reduced here to the RFC 5952 text of the address, mapped
 * addresses to plain IPv4, so that logs, metrics and allowlist matching agree on one form.
 */
import { formatIpAddress, parseIpAddress, unmapIpv4, type IpAddress } from '../../config/cidr.js';

/** What drachtio-srf's `Request` exposes; typed loosely because its typings do not promise it. */
export interface HasSourceAddress {
  readonly source_address?: unknown;
}

/** The canonical source IP of `req`, or undefined when it carries no parseable address. */
export function sourceAddressOf(req: HasSourceAddress): string | undefined {
  return typeof req.source_address === 'string' ? normalizeSourceAddress(req.source_address) : undefined;
}

/**
 * `[2001:DB8::1]` → `2001:db8::1`, `::ffff:192.0.2.1` → `192.0.2.1`, `fe80::1%eth0` → `fe80::1`;
 * undefined for anything that is not an IP literal (a host name, a port suffix, junk).
 */
export function normalizeSourceAddress(raw: string): string | undefined {
  const address = parseSourceAddress(raw);
  return address === undefined ? undefined : formatIpAddress(address);
}

/** The same reduction, to the parsed address (IPv4-mapped addresses come back as IPv4). */
export function parseSourceAddress(raw: string): IpAddress | undefined {
  let text = raw.trim();
  if (text.startsWith('[') && text.endsWith(']')) text = text.slice(1, -1);
  // A zone id (RFC 6874) names an interface on this host: it cannot appear in an allowlist and
  // says nothing about who the peer is, so it is dropped rather than refused.
  const zone = text.indexOf('%');
  if (zone >= 0 && text.includes(':')) text = text.slice(0, zone);
  const parsed = parseIpAddress(text);
  return parsed.ok ? unmapIpv4(parsed.value) : undefined;
}
