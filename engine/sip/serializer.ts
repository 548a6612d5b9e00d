/**
 * SipMessage → bytes. Header names are written exactly as held by the message (so the case an
 * application chose survives), and Content-Length is always recomputed in bytes of the body
 * (RFC 3261 §20.14 counts octets, not characters).
 */
import type { SipMessage } from './message.js';

/** The start line as text. */
export function formatStartLine(msg: SipMessage): string {
  const sl = msg.startLine;
  return sl.kind === 'request' ? `${sl.method} ${sl.uri} ${sl.version}` : `${sl.version} ${sl.status} ${sl.reason}`;
}

/** Serialize with a byte-correct Content-Length placed where the message had one (or last). */
export function serializeMessage(msg: SipMessage): Buffer {
  let head = formatStartLine(msg) + '\r\n';
  let wroteLength = false;
  for (const h of msg.headers) {
    if (h.key === 'content-length') {
      if (wroteLength) continue;
      head += `${h.name}: ${msg.body.length}\r\n`;
      wroteLength = true;
      continue;
    }
    head += `${h.name}: ${h.value}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
  head += '\r\n';
  const headBuf = Buffer.from(head, 'utf8');
  return msg.body.length ? Buffer.concat([headBuf, msg.body]) : headBuf;
}

/** Serialize to a string (for the control protocol's echo, which carries UTF-8 text). */
export function serializeToString(msg: SipMessage): string {
  return serializeMessage(msg).toString('utf8');
}
