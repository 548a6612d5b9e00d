/**
 * The short text forms of listen addresses used in config files: `host:port` (HTTP, `[::1]:8080`
 * for IPv6) and `protocol:host:port` (SIP, `udp:0.0.0.0:5060`). Pure; the schema turns the text
 * into `{ protocol?, host, port }` objects, and these functions say why a text is not one.
 */
import { isLoopback, parseIpAddress } from './cidr.js';

export type SipTransport = 'udp' | 'tcp';

export interface HostPort {
  host: string;
  port: number;
}

export interface SipListen extends HostPort {
  protocol: SipTransport;
}

export type ListenParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

const SIP_TRANSPORTS: readonly SipTransport[] = ['udp', 'tcp'];

/** `0.0.0.0:8080`, `127.0.0.1:0`, `[::]:8080`. The host must be an IP literal (a bind address). */
export function parseHostPort(text: string): ListenParseResult<HostPort> {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):([0-9]{1,5})$/.exec(text);
  if (!m) {
    return { ok: false, reason: `'${text}' is not 'host:port' (IPv6 in brackets: '[::]:8080')` };
  }
  const host = m[1] ?? m[2] ?? '';
  const addr = parseIpAddress(host);
  if (!addr.ok) return { ok: false, reason: `'${text}': ${addr.reason}` };
  if (m[1] !== undefined && addr.value.family !== 6) {
    return { ok: false, reason: `'${text}': only IPv6 addresses go in brackets` };
  }
  const port = Number(m[3]);
  if (port > 65535) return { ok: false, reason: `'${text}': port ${port} is above 65535` };
  return { ok: true, value: { host, port } };
}

/** `udp:0.0.0.0:5060`, `tcp:[::]:5060`. */
export function parseSipListen(text: string): ListenParseResult<SipListen> {
  const colon = text.indexOf(':');
  const protocol = text.slice(0, colon).toLowerCase();
  if (colon < 0 || !isSipTransport(protocol)) {
    return {
      ok: false,
      reason: `'${text}' is not 'protocol:host:port' with protocol ${SIP_TRANSPORTS.join(' or ')} (e.g. 'udp:0.0.0.0:5060')`,
    };
  }
  const hp = parseHostPort(text.slice(colon + 1));
  if (!hp.ok) return hp;
  return { ok: true, value: { protocol, ...hp.value } };
}

export function formatHostPort(hp: HostPort): string {
  return hp.host.includes(':') ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** True for 127.0.0.0/8 and ::1 (a socket bound there is reachable from this host only). */
export function isLoopbackHost(host: string): boolean {
  const addr = parseIpAddress(host);
  return addr.ok && isLoopback(addr.value);
}

/** True for 0.0.0.0 and :: (a socket bound there listens on every interface of its family). */
export function isWildcardHost(host: string): boolean {
  const addr = parseIpAddress(host);
  return addr.ok && addr.value.value === 0n;
}

/**
 * Whether two sockets of one protocol would fight over a port: same port, and the same host or a
 * wildcard that covers the other. `::` covers IPv4 too, because Node opens it dual-stack.
 */
export function bindsOverlap(a: HostPort, b: HostPort): boolean {
  if (a.port !== b.port || a.port === 0) return false;
  if (a.host === b.host) return true;
  const fa = parseIpAddress(a.host);
  const fb = parseIpAddress(b.host);
  if (!fa.ok || !fb.ok) return false;
  const covers = (w: typeof fa.value, other: typeof fa.value): boolean =>
    w.value === 0n && (w.family === 6 || other.family === 4);
  const same = fa.value.family === fb.value.family && fa.value.value === fb.value.value;
  return same || covers(fa.value, fb.value) || covers(fb.value, fa.value);
}

function isSipTransport(s: string): s is SipTransport {
  return (SIP_TRANSPORTS as readonly string[]).includes(s);
}
