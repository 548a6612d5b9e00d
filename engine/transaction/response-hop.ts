/**
 * Where a server transaction sends its responses (RFC 3261 §18.2.2 with RFC 3581 §4).
 *
 * A private stand-in for the transport layer's own `responseHop` (engine/transport/
 * transport-layer.ts), which is written in parallel; the two are meant to be reconciled into one.
 * Pure. `maddr` (§18.2.2 second bullet) is deliberately not honoured: it would let any peer
 * point our responses at a third party, and no peer Baton talks to uses multicast.
 */
import type { Via } from '../sip/header-values.js';
import type { Hop, MessageSource, SendOptions } from '../transport/transport-types.js';

/** Default SIP port for UDP and TCP (RFC 3261 §19.1.2). */
const DEFAULT_SIP_PORT = 5060;

function stripBrackets(host: string): string {
  return host.startsWith('[') && host.endsWith(']') ? host.slice(1, -1) : host;
}

/**
 * The hop for a response to a request whose top Via is `topVia`, received from `source`.
 * - TCP (§18.2.2 first bullet): the response goes back on the request's connection — see
 *   `responseSendOptions` for the `connectionId` — and this hop is where to reconnect to if that
 *   connection has gone: the `received` address (else the sent-by host) and the sent-by port.
 * - UDP with `rport` (RFC 3581 §4): the source address and port of the request, as recorded in
 *   `received` and the `rport` value; when the transport did not fill them in, the source itself.
 * - UDP otherwise (§18.2.2 third and fourth bullets): `received` (else the sent-by host) and the
 *   sent-by port (else 5060).
 */
export function responseHop(topVia: Via, source: MessageSource): Hop {
  const received = topVia.params.get('received');
  const receivedHost = received ? stripBrackets(received) : undefined;
  if (source.protocol === 'tcp') {
    return { protocol: 'tcp', host: receivedHost ?? topVia.host, port: topVia.port ?? DEFAULT_SIP_PORT };
  }
  if (topVia.params.has('rport')) {
    const rport = Number(topVia.params.get('rport') ?? NaN);
    const port = Number.isInteger(rport) && rport > 0 && rport <= 65535 ? rport : source.remotePort;
    return { protocol: 'udp', host: receivedHost ?? source.remoteAddress, port };
  }
  return { protocol: 'udp', host: receivedHost ?? topVia.host, port: topVia.port ?? DEFAULT_SIP_PORT };
}

/** Send options for a response: over TCP, prefer the connection the request came on (§18.2.2). */
export function responseSendOptions(source: MessageSource): SendOptions | undefined {
  return source.protocol === 'tcp' && source.connectionId !== undefined
    ? { connectionId: source.connectionId }
    : undefined;
}
