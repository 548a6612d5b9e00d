/**
 * Stamping a received request's top Via with where it really came from, so its response finds
 * the way back: `received` (RFC 3261 §18.2.1) and `rport` (RFC 3581 §4).
 *
 * Works on the header text directly and touches only the first Via element: every other byte of
 * the header (parameter order and case, other elements of a comma list) stays as the sender
 * wrote it, and the common case (sent-by already the source address, no rport) allocates
 * nothing but the result. Pure.
 */

/** What the top Via said, and its new header value when it had to change. */
export interface ViaStamp {
  /** The whole Via header value with its first element rewritten, or undefined when unchanged. */
  value: string | undefined;
  /** sent-by host, IPv6 without brackets. */
  sentByHost: string;
  sentByPort: number | undefined;
}

/**
 * Stamp the first element of a Via header value.
 * - §18.2.1: "the server MUST add a received parameter" when sent-by's host differs from the
 *   packet's source address (a `received` the sender put there itself is replaced).
 * - RFC 3581 §4: an `rport` without value gets the source port, and then `received` is added
 *   even when the host matches ("MUST ... also add the received parameter").
 * Returns undefined when the element is not a Via (no `SIP/2.0/<transport> <sent-by>`).
 */
export function stampTopVia(value: string, sourceIp: string, sourcePort: number): ViaStamp | undefined {
  const elementEnd = firstElementEnd(value);
  // Skip "SIP / 2.0 /": the sent-protocol has two slashes, LWS allowed around them (§25.1).
  let i = value.indexOf('/');
  if (i < 0 || i >= elementEnd) return undefined;
  i = value.indexOf('/', i + 1);
  if (i < 0 || i >= elementEnd) return undefined;
  i++;
  while (i < elementEnd && isWsp(value.charCodeAt(i))) i++;
  while (i < elementEnd && !isWsp(value.charCodeAt(i)) && value.charCodeAt(i) !== SEMI) i++; // transport
  if (i >= elementEnd || !isWsp(value.charCodeAt(i))) return undefined;
  while (i < elementEnd && isWsp(value.charCodeAt(i))) i++;
  const sentByStart = i;
  while (i < elementEnd && !isWsp(value.charCodeAt(i)) && value.charCodeAt(i) !== SEMI) i++;
  const sentBy = value.slice(sentByStart, i);
  const hostPort = splitSentBy(sentBy);
  if (!hostPort) return undefined;
  const [sentByHost, sentByPort] = hostPort;

  const paramsStart = value.indexOf(';', i);
  const hasParams = paramsStart >= 0 && paramsStart < elementEnd;
  const hostDiffers = sentByHost !== sourceIp;
  // Fast path: nothing to stamp unless the host differs or the element mentions rport/received.
  if (!hostDiffers && (!hasParams || !mentionsRportOrReceived(value, paramsStart, elementEnd))) {
    return { value: undefined, sentByHost, sentByPort };
  }

  const parts = hasParams ? splitParams(value.slice(paramsStart + 1, elementEnd)) : [];
  let rportFilled = false;
  let receivedAt = -1;
  for (let k = 0; k < parts.length; k++) {
    const part = parts[k]!;
    const eq = part.indexOf('=');
    const name = (eq < 0 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === 'rport' && (eq < 0 || part.slice(eq + 1).trim() === '')) {
      parts[k] = `rport=${sourcePort}`;
      rportFilled = true;
    } else if (name === 'received') {
      receivedAt = k;
    }
  }
  const needReceived = hostDiffers || rportFilled;
  if (!needReceived) return { value: undefined, sentByHost, sentByPort };
  if (receivedAt >= 0) parts[receivedAt] = `received=${sourceIp}`;
  else parts.push(`received=${sourceIp}`);

  const head = value.slice(0, hasParams ? paramsStart : elementEnd);
  const stamped = `${head};${parts.join(';')}${value.slice(elementEnd)}`;
  return { value: stamped, sentByHost, sentByPort };
}

const SEMI = 0x3b;
const COMMA = 0x2c;
const QUOTE = 0x22;

function isWsp(c: number): boolean {
  return c === 0x20 || c === 0x09;
}

/** End of the first element of a comma list (commas inside quoted strings do not count). */
function firstElementEnd(value: string): number {
  const comma = value.indexOf(',');
  if (comma < 0) return value.length;
  let inQuote = false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === QUOTE) inQuote = false;
    } else if (c === QUOTE) inQuote = true;
    else if (c === COMMA) return i;
  }
  return value.length;
}

/** `host[:port]` / `[v6][:port]` → [host, port]; undefined when malformed. */
function splitSentBy(sentBy: string): [string, number | undefined] | undefined {
  let host: string;
  let portText: string | undefined;
  if (sentBy.startsWith('[')) {
    const close = sentBy.indexOf(']');
    if (close < 0) return undefined;
    host = sentBy.slice(1, close);
    if (close + 1 < sentBy.length) {
      if (sentBy.charCodeAt(close + 1) !== 0x3a) return undefined;
      portText = sentBy.slice(close + 2);
    }
  } else {
    const colon = sentBy.indexOf(':');
    host = colon < 0 ? sentBy : sentBy.slice(0, colon);
    if (colon >= 0) portText = sentBy.slice(colon + 1);
  }
  if (host.length === 0) return undefined;
  if (portText === undefined) return [host, undefined];
  const port = Number(portText);
  if (portText.length === 0 || !Number.isInteger(port) || port <= 0 || port > 65535) return undefined;
  return [host, port];
}

/** Case-insensitive check for "rport" or "received" in value[from, to). */
function mentionsRportOrReceived(value: string, from: number, to: number): boolean {
  const lower = value.slice(from, to).toLowerCase();
  return lower.includes('rport') || lower.includes('received');
}

/** Split a parameter list (without the leading ';') on ';' outside quoted strings. */
function splitParams(text: string): string[] {
  const out: string[] = [];
  let inQuote = false;
  let last = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inQuote) {
      if (c === 0x5c) i++;
      else if (c === QUOTE) inQuote = false;
    } else if (c === QUOTE) inQuote = true;
    else if (c === SEMI) {
      out.push(text.slice(last, i));
      last = i + 1;
    }
  }
  out.push(text.slice(last));
  return out;
}
