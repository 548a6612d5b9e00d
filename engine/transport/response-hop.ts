/**
 * Where a response goes (RFC 3261 §18.2.2, RFC 3581 §4), from the top Via of the request as
 * stamped on receipt (`via-stamp.ts`) and the source the request came from. Pure.
 */
import type { Via } from '../sip/header-values.js';
import { DEFAULT_SIP_PORT } from './contact-spec.js';
import type { Hop, MessageSource, SendOptions } from './transport-types.js';

/**
 * The hop for a response to a request that arrived from `source`.
 *
 * - Reliable transport (TCP): the response goes back on the request's connection; the caller
 *   passes `source.connectionId` to `send`. The hop returned is §18.2.2's fallback for when
 *   that connection has closed: "the IP address in the received parameter, if present, using
 *   the port in the sent-by value, or the default port for that transport".
 * - UDP with `rport` (RFC 3581 §4): `received` and the rport value, as stamped on receipt;
 *   where they are missing (a Via not stamped by this transport), the request's source.
 * - UDP otherwise: `received` (or the sent-by host) and the sent-by port, or 5060 (§18.2.2).
 *
 * `maddr` (§18.2.2, second bullet) is deliberately not honoured: it would let any peer point
 * our responses at a third party, and nobody Baton talks to uses multicast.
 * A request whose Via could not be parsed is answered to its source address and port.
 */
export function responseHop(topVia: Via | undefined, source: MessageSource): Hop {
  const protocol = source.protocol;
  if (!topVia) return { protocol, host: source.remoteAddress, port: source.remotePort };
  const received = paramValue(topVia, 'received');
  const sentByPort = topVia.port ?? DEFAULT_SIP_PORT;
  if (protocol === 'tcp') return { protocol, host: received ?? topVia.host, port: sentByPort };

  if (topVia.params.has('rport')) {
    const rport = portValue(paramValue(topVia, 'rport')) ?? source.remotePort;
    return { protocol, host: received ?? source.remoteAddress, port: rport };
  }
  return { protocol, host: received ?? topVia.host, port: sentByPort };
}

function paramValue(via: Via, name: string): string | undefined {
  const v = via.params.get(name);
  if (v === undefined || v === null || v.length === 0) return undefined;
  // IPv6 in a received/maddr value may come bracketed from some stacks.
  return v.startsWith('[') && v.endsWith(']') ? v.slice(1, -1) : v;
}

function portValue(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  return Number.isInteger(port) && port > 0 && port <= 65535 ? port : undefined;
}

/** Send options for a response: over TCP, prefer the connection the request came on (§18.2.2). */
export function responseSendOptions(source: MessageSource): SendOptions | undefined {
  return source.protocol === 'tcp' && source.connectionId !== undefined
    ? { connectionId: source.connectionId }
    : undefined;
}
