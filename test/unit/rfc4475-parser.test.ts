/**
 * RFC 4475 torture messages through the parser and the validation layer. Files are read as
 * raw bytes (never normalised) and checked against MANIFEST.tsv's sha256 first; the table
 * below says, per message, which layer handles it and with what status, and why (the RFC
 * 4475 section's own words decide).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../engine/sip/parser.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import {
  DEFAULT_UAS_CAPABILITIES,
  validateRequest,
  validateResponse,
  type UasCapabilities,
} from '../../engine/sip/message-validation.js';
import { messageDifference } from '../fuzz/fuzz-target.js';
import { RFC4475_DIR, readManifest } from '../fuzz/corpus.js';

type Expectation =
  /** Well formed: parses; a request passes validateRequest, a response validateResponse('uac'). */
  | { layer: 'none' }
  /** parseMessage fails with this status. */
  | { layer: 'parser'; status: number }
  /** Parses, and validateRequest answers this status (with these extra headers, if given). */
  | { layer: 'validation'; status: number; extra?: Array<[string, string]> }
  /** A response that parses and that the UAC discards (responses are never answered). */
  | { layer: 'discard' };

const EXPECTED: Record<string, Expectation> = {
  // §3.1.1: valid messages. All must parse; requests must pass validation too.
  'wsinv.dat': { layer: 'none' },
  'intmeth.dat': { layer: 'none' }, // unknown method: with no method list the application decides
  'esc01.dat': { layer: 'none' },
  'escnull.dat': { layer: 'none' },
  'esc02.dat': { layer: 'none' },
  'lwsdisp.dat': { layer: 'none' },
  'longreq.dat': { layer: 'none' },
  'dblreq.dat': { layer: 'none' }, // Content-Length 0: the INVITE after the REGISTER is ignored
  'semiuri.dat': { layer: 'none' },
  'transports.dat': { layer: 'none' },
  'mpart01.dat': { layer: 'none' },
  'unreason.dat': { layer: 'none' },
  'noreason.dat': { layer: 'none' },

  // §3.1.2: invalid messages, each rejected by the first layer that can see the fault.
  // Parser: extra ";" and "," in Via leave empty via-parms and params (§3.1.2.1 → 400).
  'badinv01.dat': { layer: 'parser', status: 400 },
  // Parser: Content-Length larger than the datagram's body (§3.1.2.2 → 400 over UDP).
  'clerr.dat': { layer: 'parser', status: 400 },
  // Parser: negative Content-Length is a framing error (§3.1.2.3).
  'ncl.dat': { layer: 'parser', status: 400 },
  // Parser: CSeq > 2**32-1; "400 due to the CSeq error" (§3.1.2.4).
  'scalar02.dat': { layer: 'parser', status: 400 },
  // Parser: a response with CSeq > 2**32-1 is dropped ("simply discard it", §3.1.2.5).
  'scalarlg.dat': { layer: 'parser', status: 400 },
  // Validation: To's quoted display name never ends; the parser keeps header values opaque
  // (§3.1.2.6 → 400).
  'quotbal.dat': { layer: 'validation', status: 400 },
  // Parser: "<sip:…>" as Request-URI is not a URI (§3.1.2.7 → 400).
  'ltgtruri.dat': { layer: 'parser', status: 400 },
  // Parser: LWS inside the Request-URI breaks the single-SP request line (§3.1.2.8 → 400).
  'lwsruri.dat': { layer: 'parser', status: 400 },
  // Parser: several SPs between request-line elements (§3.1.2.9, "acceptable to reject").
  'lwsstart.dat': { layer: 'parser', status: 400 },
  // Parser: SPs after SIP-Version (§3.1.2.10, "acceptable to reject").
  'trws.dat': { layer: 'parser', status: 400 },
  // Validation: the URI is syntactically a SIP-URI with headers, but RFC 3261 §19.1.1 Table 1
  // forbids headers in a Request-URI (§3.1.2.11, "acceptable to reject with 400").
  'escruri.dat': { layer: 'validation', status: 400 },
  // Validation: the Date header is opaque to the parser; "EST" is not GMT (§3.1.2.12).
  'baddate.dat': { layer: 'validation', status: 400 },
  // Validation: Contact addr-spec with "?" must be in <> (§3.1.2.13 → 400).
  'regbadct.dat': { layer: 'validation', status: 400 },
  // Validation: spaces inside To's <…> (§3.1.2.14 → 400).
  'badaspec.dat': { layer: 'validation', status: 400 },
  // Validation: unquoted display names with "," (§3.1.2.15 → 400).
  'baddn.dat': { layer: 'validation', status: 400 },
  // Parser: SIP/7.0 → 505 Version Not Supported (§3.1.2.16).
  'badvers.dat': { layer: 'parser', status: 505 },
  // Validation: OPTIONS with CSeq method INVITE (§3.1.2.17 → 400).
  'mismatch01.dat': { layer: 'validation', status: 400 },
  // Validation: unknown method and mismatched CSeq; 400 "is also acceptable" when the method
  // list is the application's to decide; with a method list it is 501 (tested below).
  'mismatch02.dat': { layer: 'validation', status: 400 },
  // Parser: status code 4294967301 is not 3DIGIT; a response is dropped (§3.1.2.19).
  'bigcode.dat': { layer: 'parser', status: 400 },

  // §3.2, §3.3, §3.4: well-formed messages with a prescribed handling.
  // Validation: branch is the bare magic cookie; "could reject … with a 400" (§3.2.1), which
  // keeps transaction keys sound instead of falling back to RFC 2543 matching.
  'badbranch.dat': { layer: 'validation', status: 400 },
  // Parser: no Call-ID, From or To; "respond with a 400" (§3.3.1).
  'insuf.dat': { layer: 'parser', status: 400 },
  // Validation: unknown Request-URI scheme → 416 (§3.3.2).
  'unkscm.dat': { layer: 'validation', status: 416 },
  // Validation: soap.beep is never served here → 416 (§3.3.3).
  'novelsc.dat': { layer: 'validation', status: 416 },
  // Validation: "A registrar would reject this request with a 400 … since the To: header
  // field is required to contain a SIP or SIPS URI as an AOR" (§3.3.4). Not 416: the
  // Request-URI (sip:example.com) is fine.
  'unksm2.dat': { layer: 'validation', status: 400 },
  // Validation: 420 listing the Require option tags; Proxy-Require is for proxies (§3.3.5).
  'bext01.dat': {
    layer: 'validation',
    status: 420,
    extra: [['Unsupported', 'nothingSupportsThis, nothingSupportsThisEither']],
  },
  // Validation: body of unknown type → 415 with Accept (§3.3.6).
  'invut.dat': { layer: 'validation', status: 415, extra: [['Accept', 'application/sdp, multipart/mixed']] },
  // None: authentication is the application's (a registrar 401s, one that ignores auth
  // processes it, an endpoint 405s); validation has nothing to object to (§3.3.7).
  'regaut01.dat': { layer: 'none' },
  // Parser: two CSeq, Call-ID, To, From values → 400 (§3.3.8).
  'multi01.dat': { layer: 'parser', status: 400 },
  // Parser: two Content-Length values leave the framing unknowable → 400 (§3.3.9).
  'mcl01.dat': { layer: 'parser', status: 400 },
  // Discard: "an endpoint receiving this message should simply discard it" (§3.3.10): a
  // response with two Vias is not for a UAC (RFC 3261 §8.1.3.3). Proxy role tested below.
  'bcast.dat': { layer: 'discard' },
  // None: "An endpoint should process the request as if the Max-Forwards field value were
  // still positive" (§3.3.11); the forwarding role is tested below.
  'zeromf.dat': { layer: 'none' },
  // None: unknownparam is a contact-param (§3.3.12) / a URI param (§3.3.13); both succeed.
  'cparam01.dat': { layer: 'none' },
  'cparam02.dat': { layer: 'none' },
  // None: a Contact URI with an escaped header, in <>, is fine in a REGISTER (§3.3.14).
  'regescrt.dat': { layer: 'none' },
  // Validation: Accept without application/sdp on an INVITE → 406 with a 399 Warning (§3.3.15).
  'sdp01.dat': { layer: 'validation', status: 406 },
  // None: RFC 2543 syntax (no branch, no From tag, no Content-Length, no Max-Forwards) is
  // accepted for backwards compatibility (§3.4.1).
  'inv2543.dat': { layer: 'none' },
};

/** The capabilities of a plain SIP UA answering SDP calls, as RFC 4475 §3.3 pictures one. */
const UA: UasCapabilities = {
  ...DEFAULT_UAS_CAPABILITIES,
  contentTypes: ['application/sdp', 'multipart/mixed'],
};

const manifest = readManifest();
const cases = manifest.filter((f) => f.expected !== 'unreferenced');
const read = (name: string): Buffer => readFileSync(join(RFC4475_DIR, name));
const sha256 = (buf: Buffer): string => createHash('sha256').update(buf).digest('hex');

describe('RFC 4475 corpus', () => {
  it('has the 49 referenced messages plus test.dat, each with an expectation here', () => {
    expect(cases).toHaveLength(49);
    expect(manifest.find((f) => f.name === 'test.dat')?.expected).toBe('unreferenced');
    expect(cases.map((f) => f.name).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  it.each(manifest)('$name matches the manifest sha256 (raw bytes)', ({ name, sha256: expected }) => {
    expect(sha256(read(name))).toBe(expected);
  });
});

describe('RFC 4475 messages through parser and validation', () => {
  it.each(cases)('$name ($section, $expected)', ({ name, expected, sha256: digest }) => {
    const exp = EXPECTED[name]!;
    const bytes = read(name);
    // The bytes under test must be the RFC's, untouched by any checkout or editor.
    expect(sha256(bytes)).toBe(digest);
    const result = parseMessage(bytes);

    // The manifest's grouping must agree with the layer chosen here.
    if (expected === 'parse') expect(exp.layer).toBe('none');
    if (expected === 'reject') expect(['parser', 'validation']).toContain(exp.layer);
    if (expected === 'semantic-400')
      expect(exp.layer !== 'none' && exp.layer !== 'discard' && exp.status).toBe(400);

    if (exp.layer === 'parser') {
      expect(result.ok).toBe(false);
      if (!result.ok) {
        expect(result.status).toBe(exp.status);
        // A failed request keeps a request-shaped partial to answer from; a response never does.
        if (result.partial)
          expect(result.partial.isRequest).toBe(!read(name).toString('latin1').startsWith('SIP/'));
      }
      return;
    }
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const msg = result.message;
    // Whatever parses must survive serialize → parse unchanged.
    const again = parseMessage(serializeMessage(msg));
    expect(again.ok && messageDifference(msg, again.message)).toBeUndefined();

    if (exp.layer === 'discard') {
      expect(msg.isRequest).toBe(false);
      expect(validateResponse(msg, 'uac')).toMatchObject({ ok: false, action: 'discard' });
      return;
    }
    if (!msg.isRequest) {
      expect(validateResponse(msg, 'uac')).toEqual({ ok: true });
      return;
    }
    const verdict = validateRequest(msg, UA);
    if (exp.layer === 'none') {
      expect(verdict).toEqual({ ok: true });
      return;
    }
    expect(verdict.ok).toBe(false);
    if (verdict.ok) return;
    expect(verdict.status).toBe(exp.status);
    expect(verdict.rfc).toMatch(/^RFC \d+ §/);
    if (exp.extra) expect(verdict.extraHeaders).toEqual(exp.extra);
  });
});

describe('RFC 4475 messages under other roles', () => {
  const parse = (name: string) => {
    const r = parseMessage(read(name));
    if (!r.ok) throw new Error(`${name} did not parse`);
    return r.message;
  };

  it('zeromf: a forwarding element answers OPTIONS itself, and 483s an INVITE (RFC 3261 §16.3)', () => {
    const options = parse('zeromf.dat');
    expect(validateRequest(options, { ...UA, forwarding: true })).toEqual({ ok: true });
    const invite = parse('zeromf.dat');
    invite.startLine = { kind: 'request', method: 'INVITE', uri: 'sip:user@example.com', version: 'SIP/2.0' };
    invite.set('CSeq', '39234321 INVITE');
    expect(validateRequest(invite, { ...UA, forwarding: true })).toMatchObject({ ok: false, status: 483 });
    expect(validateRequest(invite, UA)).toEqual({ ok: true });
  });

  it('bcast: a proxy drops a response whose next Via is the broadcast address', () => {
    expect(validateResponse(parse('bcast.dat'), 'proxy')).toMatchObject({ ok: false, action: 'discard' });
    expect(validateResponse(parse('noreason.dat'), 'proxy')).toEqual({ ok: true });
  });

  it('mismatch02 and intmeth: with a method list, unknown methods get 501 with Allow (§3.1.2.18, §3.1.1.2)', () => {
    const caps = { ...UA, methods: ['INVITE', 'ACK', 'BYE', 'CANCEL', 'OPTIONS'] };
    for (const name of ['mismatch02.dat', 'intmeth.dat', 'esc02.dat']) {
      expect(validateRequest(parse(name), caps)).toMatchObject({
        ok: false,
        status: 501,
        extraHeaders: [['Allow', 'INVITE, ACK, BYE, CANCEL, OPTIONS']],
      });
    }
    // A method RFC 3261 defines but this element does not serve is 405, not 501.
    expect(validateRequest(parse('cparam01.dat'), caps)).toMatchObject({ ok: false, status: 405 });
  });

  it('sdp01: the 406 carries a 399 Warning (§3.3.15)', () => {
    const verdict = validateRequest(parse('sdp01.dat'), UA);
    expect(verdict.ok === false && verdict.extraHeaders?.[0]?.[0]).toBe('Warning');
    expect(verdict.ok === false && verdict.extraHeaders?.[0]?.[1]).toMatch(/^399 baton "/);
  });
});
