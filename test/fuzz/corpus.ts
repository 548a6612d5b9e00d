/**
 * Seed messages for fuzzing: the RFC 4475 torture messages, read as raw bytes, plus a set of
 * ordinary, valid messages of the kinds Baton exchanges (INVITE/ACK/BYE/CANCEL/REGISTER/
 * OPTIONS/REFER/NOTIFY/PRACK and their responses).
 */
import { fileURLToPath } from 'node:url';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * Where the RFC 4475 corpus lives: the team's shared folder beside the repository
 * (`../shared/torture/rfc4475`, see its README); `RFC4475_DIR` overrides it.
 */
export const RFC4475_DIR =
  process.env.RFC4475_DIR ?? fileURLToPath(new URL('../../../shared/torture/rfc4475', import.meta.url));

const SDP = [
  'v=0',
  'o=alice 2890844526 2890844526 IN IP4 192.0.2.10',
  's=-',
  'c=IN IP4 192.0.2.10',
  't=0 0',
  'm=audio 49170 RTP/AVP 0 8 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  '',
].join('\r\n');

/** Build a message with CRLF line ends and a byte-correct Content-Length. */
export function sipMessage(startLine: string, headers: string[], body = ''): string {
  const length = Buffer.byteLength(body, 'utf8');
  return [startLine, ...headers, `Content-Length: ${length}`, '', body].join('\r\n');
}

const dialog = (method: string, seq: number): string[] => [
  'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
  'Max-Forwards: 70',
  'From: "Alice" <sip:alice@example.com>;tag=1928301774',
  'To: <sip:+15551234567@gw.example.com>;tag=a6c85cf',
  'Call-ID: a84b4c76e66710@pc33.example.com',
  `CSeq: ${seq} ${method}`,
];

/** Valid messages, as strings holding UTF-8 bytes one per character (latin1 view). */
export const VALID_MESSAGES: readonly string[] = [
  sipMessage(
    'INVITE sip:+15551234567@gw.example.com:5060;user=phone SIP/2.0',
    [
      'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport',
      'Max-Forwards: 70',
      'From: "Alice" <sip:alice@example.com>;tag=1928301774',
      'To: <sip:+15551234567@gw.example.com>',
      'Call-ID: a84b4c76e66710@pc33.example.com',
      'CSeq: 314159 INVITE',
      'Contact: <sip:alice@192.0.2.10:5060>',
      'Allow: INVITE, ACK, CANCEL, BYE, OPTIONS, REFER, NOTIFY',
      'Supported: timer, 100rel, replaces',
      'Session-Expires: 1800;refresher=uac',
      'User-to-User: 56a390f3d2b7310023a2;encoding=hex',
      'X-Transfer-Target: human-queue',
      'Content-Type: application/sdp',
    ],
    SDP,
  ),
  sipMessage('ACK sip:+15551234567@192.0.2.20:5060 SIP/2.0', dialog('ACK', 314159)),
  sipMessage('BYE sip:+15551234567@192.0.2.20:5060 SIP/2.0', [
    ...dialog('BYE', 314160),
    'Reason: Q.850;cause=16;text="Normal call clearing"',
  ]),
  sipMessage('CANCEL sip:+15551234567@gw.example.com SIP/2.0', [
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
    'Max-Forwards: 70',
    'From: "Alice" <sip:alice@example.com>;tag=1928301774',
    'To: <sip:+15551234567@gw.example.com>',
    'Call-ID: a84b4c76e66710@pc33.example.com',
    'CSeq: 314159 CANCEL',
  ]),
  sipMessage('REGISTER sip:registrar.example.com SIP/2.0', [
    'Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKnashds7',
    'Max-Forwards: 70',
    'From: Bob <sip:bob@example.com>;tag=456248',
    'To: Bob <sip:bob@example.com>',
    'Call-ID: 843817637684230@998sdasdh09',
    'CSeq: 1826 REGISTER',
    'Contact: <sip:bob@192.0.2.4>;expires=7200, <sip:bob@[2001:db8::4]:5070;transport=tcp>;q=0.5',
    'Expires: 7200',
  ]),
  sipMessage('OPTIONS sip:gw.example.com SIP/2.0', [
    'Via: SIP/2.0/UDP [2001:db8::10]:5060;branch=z9hG4bKhjhs8ass877;received=2001:db8::10',
    'Max-Forwards: 70',
    'From: <sip:monitor@[2001:db8::10]>;tag=73',
    'To: <sip:gw.example.com>',
    'Call-ID: opt-1@2001:db8::10',
    'CSeq: 1 OPTIONS',
    'Accept: application/sdp',
  ]),
  sipMessage('REFER sip:+15551234567@192.0.2.20:5060 SIP/2.0', [
    ...dialog('REFER', 314161),
    'Refer-To: <sip:agent@pbx.example.com?Replaces=12345%40192.0.2.1%3Bto-tag%3D1%3Bfrom-tag%3D2>',
    'Referred-By: <sip:alice@example.com>',
    'Contact: <sip:alice@192.0.2.10:5060>',
  ]),
  sipMessage(
    'NOTIFY sip:alice@192.0.2.10:5060 SIP/2.0',
    [
      ...dialog('NOTIFY', 2),
      'Event: refer;id=314161',
      'Subscription-State: terminated;reason=noresource',
      'Content-Type: message/sipfrag;version=2.0',
    ],
    'SIP/2.0 200 OK\r\n',
  ),
  sipMessage('PRACK sip:+15551234567@192.0.2.20:5060 SIP/2.0', [
    ...dialog('PRACK', 314162),
    'RAck: 776656 314159 INVITE',
  ]),
  sipMessage('INVITE tel:+14155550100 SIP/2.0', [
    'Via: SIP/2.0/TCP carrier.example.net:5060;branch=z9hG4bK-524287-1---a',
    'Max-Forwards: 69',
    Buffer.from('From: "Jürgen Müller ☎" <sip:+4930123456@carrier.example.net>;tag=x1', 'utf8').toString(
      'latin1',
    ),
    'To: <tel:+14155550100>',
    'Call-ID: 0a1b2c3d4e5f@carrier.example.net',
    'CSeq: 1 INVITE',
    'Contact: <sip:+4930123456@carrier.example.net:5060;transport=tcp>',
    'P-Asserted-Identity: <sip:+4930123456@carrier.example.net;user=phone>',
  ]),
  sipMessage('SIP/2.0 100 Trying', [
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.10',
    'From: "Alice" <sip:alice@example.com>;tag=1928301774',
    'To: <sip:+15551234567@gw.example.com>',
    'Call-ID: a84b4c76e66710@pc33.example.com',
    'CSeq: 314159 INVITE',
  ]),
  sipMessage('SIP/2.0 180 Ringing', [
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.10',
    'From: "Alice" <sip:alice@example.com>;tag=1928301774',
    'To: <sip:+15551234567@gw.example.com>;tag=a6c85cf',
    'Call-ID: a84b4c76e66710@pc33.example.com',
    'CSeq: 314159 INVITE',
    'Contact: <sip:+15551234567@192.0.2.20:5060>',
    'Require: 100rel',
    'RSeq: 776656',
  ]),
  sipMessage(
    'SIP/2.0 200 OK',
    [
      'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds;rport=5060;received=192.0.2.10',
      'Record-Route: <sip:proxy2.example.net;lr>, <sip:proxy1.example.net;lr>',
      'From: "Alice" <sip:alice@example.com>;tag=1928301774',
      'To: <sip:+15551234567@gw.example.com>;tag=a6c85cf',
      'Call-ID: a84b4c76e66710@pc33.example.com',
      'CSeq: 314159 INVITE',
      'Contact: <sip:+15551234567@192.0.2.20:5060>',
      'Content-Type: application/sdp',
    ],
    SDP,
  ),
  sipMessage('SIP/2.0 401 Unauthorized', [
    'Via: SIP/2.0/TCP 192.0.2.10:5060;branch=z9hG4bKnashds7',
    'From: Bob <sip:bob@example.com>;tag=456248',
    'To: Bob <sip:bob@example.com>;tag=2493k59kd',
    'Call-ID: 843817637684230@998sdasdh09',
    'CSeq: 1826 REGISTER',
    'WWW-Authenticate: Digest realm="example.com", qop="auth", nonce="ea9c8e88df84f1cec4341ae6cbe5a359", opaque="", stale=FALSE, algorithm=MD5',
  ]),
  sipMessage('SIP/2.0 486 Busy Here', [
    'Via: SIP/2.0/UDP 192.0.2.10:5060;branch=z9hG4bK776asdhds',
    'From: "Alice" <sip:alice@example.com>;tag=1928301774',
    'To: <sip:+15551234567@gw.example.com>;tag=b7',
    'Call-ID: a84b4c76e66710@pc33.example.com',
    'CSeq: 314159 INVITE',
  ]),
];

export interface TortureFile {
  name: string;
  section: string;
  expected: string;
  sha256: string;
}

/** The rows of MANIFEST.tsv (name, RFC section, expected outcome, sha256). */
export function readManifest(dir = RFC4475_DIR): TortureFile[] {
  const rows = readFileSync(join(dir, 'MANIFEST.tsv'), 'latin1').split('\n').slice(1);
  return rows
    .filter((r) => r.trim().length > 0)
    .map((r) => {
      const [name = '', section = '', expected = '', sha256 = ''] = r.replace(/\r$/, '').split('\t');
      return { name, section, expected, sha256 };
    });
}

/** Every seed, as a latin1 string (one character per byte). RFC 4475 files are read raw. */
export function loadCorpus(dir = RFC4475_DIR): string[] {
  const torture = readdirSync(dir)
    .filter((f) => f.endsWith('.dat') && f !== 'test.dat')
    .sort()
    .map((f) => readFileSync(join(dir, f)).toString('latin1'));
  return [...torture, ...VALID_MESSAGES];
}
