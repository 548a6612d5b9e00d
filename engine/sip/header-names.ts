/**
 * Canonical spellings of standard SIP header names (RFC 3261 §20 and the extensions Baton
 * meets). drachtio-srf lower-cases most names it sends; drachtio-server writes the standard
 * spelling, and some peers (SIPp's `<ereg header=…>` among them) compare names case-
 * sensitively. The engine therefore restores the standard spelling of an all-lower-case
 * standard name, and leaves every other name exactly as the app wrote it — a configured
 * `User-to-User` goes out byte-exact. Pure.
 */
const CANONICAL = new Map<string, string>(
  [
    'Accept',
    'Accept-Contact',
    'Accept-Encoding',
    'Accept-Language',
    'Alert-Info',
    'Allow',
    'Allow-Events',
    'Authentication-Info',
    'Authorization',
    'Call-ID',
    'Call-Info',
    'Contact',
    'Content-Disposition',
    'Content-Encoding',
    'Content-Language',
    'Content-Length',
    'Content-Type',
    'CSeq',
    'Date',
    'Diversion',
    'Error-Info',
    'Event',
    'Expires',
    'From',
    'History-Info',
    'Identity',
    'In-Reply-To',
    'Max-Forwards',
    'MIME-Version',
    'Min-Expires',
    'Min-SE',
    'Organization',
    'Path',
    'Priority',
    'Privacy',
    'Proxy-Authenticate',
    'Proxy-Authorization',
    'Proxy-Require',
    'RAck',
    'Reason',
    'Record-Route',
    'Refer-Sub',
    'Refer-To',
    'Referred-By',
    'Replaces',
    'Reply-To',
    'Require',
    'Retry-After',
    'Route',
    'RSeq',
    'Server',
    'Session-Expires',
    'Subject',
    'Subscription-State',
    'Supported',
    'Timestamp',
    'To',
    'Unsupported',
    'User-Agent',
    'Via',
    'Warning',
    'WWW-Authenticate',
  ].map((n) => [n.toLowerCase(), n]),
);

/** The standard spelling when `name` is an all-lower-case standard name; otherwise `name`. */
export function canonicalHeaderName(name: string): string {
  if (name !== name.toLowerCase()) return name;
  return CANONICAL.get(name) ?? name;
}
