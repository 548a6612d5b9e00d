/**
 * drachtio-server style `--contact` values → listen specs, one per transport protocol.
 *
 * Accepted forms (drachtio-server's `--contact`, which sofia-sip's `tport` reads as a SIP URI):
 *   sip:127.0.0.1:5090;transport=udp,tcp   bind one address, both protocols
 *   sip:[::1]:5090;transport=tcp           IPv6 in brackets (RFC 3261 §19.1.1, RFC 5118)
 *   sip:*;transport=udp                    every IPv4 address, port 5060
 *   sip:0.0.0.0:5060                       no transport parameter: UDP and TCP, as sofia-sip does
 *
 * The host must be an IP literal or `*`: a listener binds an address, and name resolution at
 * start-up would make the bound address depend on DNS. Other URI parameters are ignored.
 * Pure: no I/O, never throws; problems come back as a `ContactSpecError` naming what is wrong.
 */
import { isIP } from 'node:net';
import type { TransportProtocol } from './transport-types.js';

/** One listener to open. */
export interface ListenSpec {
  protocol: TransportProtocol;
  /** Address to bind: an IP literal, `0.0.0.0` or `::` for every address of the family. */
  bindHost: string;
  /** 0 asks the OS for a free port (tests). */
  port: number;
  family: 4 | 6;
  /** Host to advertise in Via / Contact instead of the bound address (e.g. an external IP). */
  advertisedHost?: string;
}

/** RFC 3261 §19.1.2: the default port for `sip:` over UDP and TCP. */
export const DEFAULT_SIP_PORT = 5060;

export type ContactProblem = 'scheme' | 'host' | 'port' | 'transport';

/** A `--contact` value that cannot be listened on; `problem` says which part is wrong. */
export class ContactSpecError extends Error {
  readonly code = 'EBADCONTACT';
  constructor(
    readonly problem: ContactProblem,
    readonly contact: string,
    detail: string,
  ) {
    super(`invalid contact "${contact}": ${detail}`);
    this.name = 'ContactSpecError';
  }
}

export type ContactSpecResult = { ok: true; specs: ListenSpec[] } | { ok: false; error: ContactSpecError };

const SUPPORTED: ReadonlySet<string> = new Set<TransportProtocol>(['udp', 'tcp']);

function bad(problem: ContactProblem, contact: string, detail: string): ContactSpecResult {
  return { ok: false, error: new ContactSpecError(problem, contact, detail) };
}

/** Parse one `--contact` value into a listen spec per protocol it names. */
export function parseContactSpec(contact: string): ContactSpecResult {
  const text = contact.trim();
  const colon = text.indexOf(':');
  const scheme = colon < 0 ? '' : text.slice(0, colon).toLowerCase();
  if (scheme !== 'sip') {
    // sips: would need TLS, which the engine does not offer (yet).
    return bad('scheme', contact, scheme === 'sips' ? 'sips (TLS) is not supported' : 'expected a sip: URI');
  }
  const rest = text.slice(colon + 1);
  const semi = rest.indexOf(';');
  const hostport = semi < 0 ? rest : rest.slice(0, semi);
  const paramText = semi < 0 ? '' : rest.slice(semi + 1);
  if (hostport.includes('@')) return bad('host', contact, 'a listen contact has no user part');

  let host: string;
  let portText: string | undefined;
  if (hostport.startsWith('[')) {
    const close = hostport.indexOf(']');
    if (close < 0) return bad('host', contact, 'unterminated IPv6 reference');
    host = hostport.slice(1, close);
    const after = hostport.slice(close + 1);
    if (after.length > 0) {
      if (!after.startsWith(':')) return bad('host', contact, 'unexpected text after IPv6 reference');
      portText = after.slice(1);
    }
    if (isIP(host) !== 6) return bad('host', contact, `"${host}" is not an IPv6 address`);
  } else {
    const c = hostport.indexOf(':');
    host = c < 0 ? hostport : hostport.slice(0, c);
    if (c >= 0) portText = hostport.slice(c + 1);
    if (host.includes(':')) return bad('host', contact, 'IPv6 addresses must be in brackets');
  }

  let bindHost: string;
  let family: 4 | 6;
  if (host === '*') {
    // drachtio's `sip:*` binds every IPv4 interface.
    bindHost = '0.0.0.0';
    family = 4;
  } else {
    const f = isIP(host);
    if (f === 0) return bad('host', contact, `"${host}" is not an IP address`);
    bindHost = host;
    family = f === 6 ? 6 : 4;
  }

  let port = DEFAULT_SIP_PORT;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) > 65535) {
      return bad('port', contact, `"${portText}" is not a port number`);
    }
    port = Number(portText);
  }

  let protocols: TransportProtocol[] = ['udp', 'tcp'];
  for (const param of paramText.split(';')) {
    const eq = param.indexOf('=');
    const name = (eq < 0 ? param : param.slice(0, eq)).trim().toLowerCase();
    if (name !== 'transport') continue;
    const value = eq < 0 ? '' : param.slice(eq + 1);
    const wanted = value
      .split(',')
      .map((p) => p.trim().toLowerCase())
      .filter((p) => p.length > 0);
    if (wanted.length === 0) return bad('transport', contact, 'empty transport parameter');
    for (const p of wanted) {
      if (!SUPPORTED.has(p)) return bad('transport', contact, `transport "${p}" is not supported`);
    }
    protocols = [...new Set(wanted)] as TransportProtocol[];
  }

  return { ok: true, specs: protocols.map((protocol) => ({ protocol, bindHost, port, family })) };
}

/** True for the "every address" binds 0.0.0.0 and ::. */
export function isWildcardHost(host: string): boolean {
  return host === '0.0.0.0' || host === '::';
}

/**
 * The host to put in Via sent-by and Contact for a listener: the explicit `advertisedHost`, the
 * bound address, or, for a wildcard bind, the loopback of its family (the engine runs on
 * loopback-only machines; a deployment with real interfaces names its address explicitly).
 */
export function advertisedHostOf(spec: ListenSpec): string {
  if (spec.advertisedHost) return spec.advertisedHost;
  if (!isWildcardHost(spec.bindHost)) return spec.bindHost;
  return spec.family === 6 ? '::1' : '127.0.0.1';
}
