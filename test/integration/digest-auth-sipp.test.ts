/**
 * The digest authenticator against real UAC implementations, not just our own arithmetic:
 *
 * - SIPp 3.6.1 (`[authentication]`, `uac-call-digest.xml`) over UDP, against a small responder
 *   built on the engine's parser and response builder that challenges with `challenge()` and
 *   answers the credentialled INVITE after `verify()`: 200 when it accepts, 403 when not.
 * - drachtio-srf's `DigestClient` (the code an srf app runs to answer a 401/407), fed the
 *   challenge through drachtio-srf's own SipMessage so its header joining is the real one.
 *
 * SIPp 3.6.1 answers MD5 only (its `createAuthHeader` refuses any other algorithm); SHA-256 is
 * covered by the RFC 7616 §3.9.1 vectors and independent node:crypto answers in
 * test/unit/digest-auth.test.ts.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { afterEach, describe, expect, it } from 'vitest';
import { buildResponse } from '../../engine/sip/error-response.js';
import { parseMessage } from '../../engine/sip/parser.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import {
  DigestAuthenticator,
  type DigestAlgorithm,
  type DigestVerdict,
} from '../../gateway/security/digest-auth.js';
import { runSipp, SCENARIO_KEY_DEFAULTS, type SippResult } from '../support/sipp.js';

const USER = SCENARIO_KEY_DEFAULTS.auth_user ?? 'baton';
const PASSWORD = SCENARIO_KEY_DEFAULTS.auth_password ?? 'baton-secret';
const REALM = 'carrier.baton.test';
const SIPP_TIMEOUT_MS = 10_000;

const SDP_ANSWER = [
  'v=0',
  'o=responder 1 1 IN IP4 127.0.0.1',
  's=digest responder',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  '',
].join('\r\n');

interface Responder {
  readonly address: string;
  /** verify() verdicts, one per distinct credentialled INVITE (retransmissions not re-verified). */
  readonly verdicts: DigestVerdict[];
  /** The challenge header values sent, per 401/407. */
  readonly challenges: string[][];
  close(): Promise<void>;
}

const open: Responder[] = [];

afterEach(async () => {
  await Promise.all(open.splice(0).map((r) => r.close()));
});

/**
 * A UAS that challenges every INVITE without credentials and answers the rest after verify().
 * Retransmitted requests (same branch) get the cached answer, as a server transaction would.
 */
async function startResponder(authenticator: DigestAuthenticator, status: 401 | 407): Promise<Responder> {
  const socket: Socket = createSocket('udp4');
  const verdicts: DigestVerdict[] = [];
  const challenges: string[][] = [];
  const answered = new Map<string, Buffer>();
  const [challengeHeader, credentialsHeader] =
    status === 407 ? ['Proxy-Authenticate', 'Proxy-Authorization'] : ['WWW-Authenticate', 'Authorization'];

  const send = (bytes: Buffer, to: RemoteInfo): void => {
    socket.send(bytes, to.port, to.address);
  };

  socket.on('message', (buf, from) => {
    const parsed = parseMessage(buf);
    if (!parsed.ok || !parsed.message.isRequest) return;
    const req = parsed.message;
    const key = `${req.get('via') ?? ''}|${req.get('cseq') ?? ''}`;
    const cached = answered.get(key);
    if (cached !== undefined) {
      send(cached, from);
      return;
    }
    let res;
    if (req.method === 'INVITE') {
      const credentials = req.get(credentialsHeader);
      const verdict =
        credentials === undefined
          ? undefined
          : authenticator.verify({
              method: req.method,
              authorization: credentials,
              credentials: { username: USER, password: PASSWORD },
            });
      if (verdict !== undefined) verdicts.push(verdict);
      if (verdict === undefined || (!verdict.ok && verdict.reason === 'stale')) {
        const values = authenticator.challenge({ stale: verdict !== undefined });
        challenges.push(values);
        res = buildResponse(
          req,
          status,
          status === 407 ? 'Proxy Authentication Required' : 'Unauthorized',
          'responder',
          values.map((v): [string, string] => [challengeHeader, v]),
        );
      } else if (verdict.ok) {
        res = buildResponse(req, 200, 'OK', 'responder', [
          ['Contact', '<sip:responder@127.0.0.1>'],
          ['Content-Type', 'application/sdp'],
        ]);
        if (res !== undefined) res.body = Buffer.from(SDP_ANSWER);
      } else {
        res = buildResponse(req, 403, 'Forbidden', 'responder');
      }
    } else if (req.method === 'BYE') {
      res = buildResponse(req, 200, 'OK');
    }
    if (res === undefined) return;
    const bytes = serializeMessage(res);
    answered.set(key, bytes);
    send(bytes, from);
  });

  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind({ address: '127.0.0.1', port: 0 }, () => resolve());
  });
  const { port } = socket.address();
  const responder: Responder = {
    address: `127.0.0.1:${port}`,
    verdicts,
    challenges,
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
  open.push(responder);
  return responder;
}

function authenticator(algorithms: readonly DigestAlgorithm[]): DigestAuthenticator {
  return new DigestAuthenticator({
    realm: REALM,
    secret: randomBytes(32),
    algorithms,
    nonceTtlMs: 30_000,
    clock: { now: () => Date.now() },
  });
}

async function callThrough(responder: Responder, extraArgs: string[] = []): Promise<SippResult> {
  return runSipp({
    scenario: 'uac-call-digest.xml',
    remote: responder.address,
    timeoutMs: SIPP_TIMEOUT_MS,
    traceMessages: true,
    extraArgs,
  });
}

describe('SIPp 3.6.1 answering our challenge', () => {
  it.each([407, 401] as const)(
    'MD5 over a %i: verify() accepts SIPp’s answer and the call completes',
    async (status) => {
      const responder = await startResponder(authenticator(['MD5']), status);
      const caller = await callThrough(responder);

      expect(responder.verdicts).toEqual([{ ok: true, username: USER, algorithm: 'MD5' }]);
      expect(caller.code, caller.errors).toBe(0);
      // SIPp really saw our challenge, quoted qop and all, and echoed our nonce.
      expect(caller.messages).toContain(`realm="${REALM}"`);
      expect(caller.messages).toMatch(/qop=auth/);
    },
  );

  it('a wrong password: verify() says bad-response, the caller gets 403 and its call fails', async () => {
    const responder = await startResponder(authenticator(['MD5']), 407);
    // A later -ap overrides the harness's, so SIPp digests with another password.
    const caller = await callThrough(responder, ['-ap', 'not-the-password']);

    expect(responder.verdicts).toEqual([{ ok: false, reason: 'bad-response' }]);
    expect(caller.messages).toContain('SIP/2.0 403 Forbidden');
    expect(caller.code).not.toBe(0);
  });

  it('a wrong username: verify() says unknown-user', async () => {
    const responder = await startResponder(authenticator(['MD5']), 407);
    const caller = await callThrough(responder, ['-au', 'somebody-else']);

    expect(responder.verdicts).toEqual([{ ok: false, reason: 'unknown-user' }]);
    expect(caller.code).not.toBe(0);
  });
});

describe('SIPp 3.6.1 and algorithm order', () => {
  it('offering MD5 first and SHA-256 second works with SIPp 3.6.1', async () => {
    const responder = await startResponder(authenticator(['MD5', 'SHA-256']), 407);
    const caller = await callThrough(responder);

    expect(responder.challenges[0]?.map((v) => /algorithm=([\w-]+)/.exec(v)?.[1])).toEqual([
      'MD5',
      'SHA-256',
    ]);
    expect(responder.verdicts).toEqual([{ ok: true, username: USER, algorithm: 'MD5' }]);
    expect(caller.code, caller.errors).toBe(0);
  });

  // SIPp 3.6.1 reads the algorithm of the first challenge only and knows MD5 / AKAv1-MD5, so the
  // RFC 8760 order (SHA-256 first) stops it before it answers. Carriers with such a client need
  // `security.digestAlgorithms: [MD5, SHA-256]` or `[MD5]`; the gateway's SIPp tests do the same.
  it('offering SHA-256 first stops SIPp 3.6.1 before it answers, even with MD5 offered second', async () => {
    const responder = await startResponder(authenticator(['SHA-256', 'MD5']), 407);
    const caller = await callThrough(responder);

    expect(responder.challenges).toHaveLength(1);
    expect(responder.verdicts).toEqual([]);
    expect(caller.errors).toContain('authentication must use MD5');
    expect(caller.code).not.toBe(0);
  });
});

describe("drachtio-srf's DigestClient answering our challenge", () => {
  const require = createRequire(import.meta.url);
  type DrachtioSipMessage = { get(name: string): string | undefined; has(name: string): boolean };
  const SrfSipMessage = require('drachtio-srf/lib/sip-parser/message.js') as new (
    raw: string,
  ) => DrachtioSipMessage & {
    getParsedHeader(name: string): unknown;
  };
  const DigestClient = require('drachtio-srf/lib/digest-client.js') as new (res: unknown) => {
    authenticate(callback: (err?: Error) => void): void;
  };

  const TARGET = 'sip:agent@127.0.0.1:5090';

  /**
   * Run DigestClient.authenticate() on a 407 carrying `challenge`, parsed by drachtio-srf's own
   * SipMessage (which joins repeated headers with a comma), and return the Proxy-Authorization
   * value it would have sent.
   */
  function drachtioAnswer(challenge: readonly string[], password = PASSWORD): string {
    const invite = new SrfSipMessage(
      [
        `INVITE ${TARGET} SIP/2.0`,
        'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-srf-1',
        'From: <sip:ivr@127.0.0.1>;tag=srf-from',
        `To: <${TARGET}>`,
        'Call-ID: srf-digest-1@127.0.0.1',
        'CSeq: 1 INVITE',
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const response = new SrfSipMessage(
      [
        'SIP/2.0 407 Proxy Authentication Required',
        'Via: SIP/2.0/UDP 127.0.0.1:5070;branch=z9hG4bK-srf-1',
        'From: <sip:ivr@127.0.0.1>;tag=srf-from',
        `To: <${TARGET}>;tag=gw`,
        'Call-ID: srf-digest-1@127.0.0.1',
        'CSeq: 1 INVITE',
        ...challenge.map((v) => `Proxy-Authenticate: ${v}`),
        'Content-Length: 0',
        '',
        '',
      ].join('\r\n'),
    );
    const options = { method: 'INVITE', uri: TARGET, auth: { username: USER, password }, headers: {} };
    let sent: { headers: Record<string, string> } | undefined;
    const req = {
      method: 'INVITE',
      _originalParams: { options },
      get: (name: string) => invite.get(name),
      getParsedHeader: (name: string) => invite.getParsedHeader(name),
    };
    const res = {
      req,
      statusCode: 407,
      has: (name: string) => response.has(name),
      get: (name: string) => response.get(name),
      agent: {
        request: (opts: { headers: Record<string, string> }) => {
          sent = opts;
        },
      },
    };
    new DigestClient(res).authenticate((err) => {
      if (err) throw err;
    });
    const value = sent?.headers['Proxy-Authorization'];
    if (value === undefined) throw new Error('DigestClient sent no Proxy-Authorization');
    return value;
  }

  it.each([[['MD5']], [['SHA-256', 'MD5']], [['MD5', 'SHA-256']]] as const)(
    'offered %j, its MD5 answer verifies (one nonce is shared by every line of a challenge)',
    (algorithms) => {
      const auth = authenticator(algorithms);
      const value = drachtioAnswer(auth.challenge());

      expect(value).toMatch(/^Digest username="baton",realm="carrier\.baton\.test",/);
      expect(
        auth.verify({
          method: 'INVITE',
          authorization: value,
          credentials: { username: USER, password: PASSWORD },
        }),
      ).toEqual({
        ok: true,
        username: USER,
        algorithm: 'MD5',
      });
    },
  );

  it('with SHA-256 alone configured, its MD5-only answer is unsupported-algorithm', () => {
    const auth = authenticator(['SHA-256']);
    const value = drachtioAnswer(auth.challenge());

    expect(
      auth.verify({
        method: 'INVITE',
        authorization: value,
        credentials: { username: USER, password: PASSWORD },
      }),
    ).toEqual({
      ok: false,
      reason: 'unsupported-algorithm',
    });
  });

  it('with the wrong password, bad-response', () => {
    const auth = authenticator(['MD5']);
    const value = drachtioAnswer(auth.challenge(), 'wrong');

    expect(
      auth.verify({
        method: 'INVITE',
        authorization: value,
        credentials: { username: USER, password: PASSWORD },
      }),
    ).toEqual({
      ok: false,
      reason: 'bad-response',
    });
  });
});
