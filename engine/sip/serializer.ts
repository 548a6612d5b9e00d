/**
 * SipMessage → bytes. Header names are written exactly as held by the message (so the case an
 * application chose survives), and Content-Length is always recomputed in bytes of the body
 * (RFC 3261 §20.14 counts octets, not characters).
 *
 * Whatever a message holds, the output stays one well-framed message: a CR or LF inside a
 * header value is written as a single SP (what a line fold means, §7.3.1) instead of starting
 * a new header line, and a header whose name is not a token cannot be written at all, so it
 * is left out. For a message that came out of `parseMessage` neither case can occur, and
 * `parseMessage(serializeMessage(m))` gives back `m` (with Content-Length set to the body).
 */
import { isToken } from './grammar.js';
import type { SipMessage } from './message.js';

const LINE_BREAKS = /[\r\n]+/g;

function oneLine(text: string): string {
  return text.includes('\r') || text.includes('\n') ? text.replace(LINE_BREAKS, ' ') : text;
}

/** The start line as text. */
export function formatStartLine(msg: SipMessage): string {
  const sl = msg.startLine;
  return sl.kind === 'request'
    ? `${oneLine(sl.method)} ${oneLine(sl.uri)} ${oneLine(sl.version)}`
    : `${oneLine(sl.version)} ${sl.status} ${oneLine(sl.reason)}`;
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
    if (!isToken(h.name)) continue;
    head += `${h.name}: ${oneLine(h.value)}\r\n`;
  }
  if (!wroteLength) head += `Content-Length: ${msg.body.length}\r\n`;
  head += '\r\n';
  // One unpooled allocation: transactions keep these bytes for retransmission for up to
  // 64·T1, and a slice of Node's shared 8 KiB pool would keep the whole pool block alive.
  const headBytes = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafeSlow(headBytes + msg.body.length);
  out.write(head, 0, 'utf8');
  if (msg.body.length) msg.body.copy(out, headBytes);
  return out;
}

/** Serialize to a string (for the control protocol's echo, which carries UTF-8 text). */
export function serializeToString(msg: SipMessage): string {
  return serializeMessage(msg).toString('utf8');
}
