import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  DigestAuthenticator,
  digestResponse,
  type DigestAlgorithm,
  type DigestVerifyInput,
} from '../../gateway/security/digest-auth.js';
import {
  MAX_AUTH_PARAMS,
  MAX_CREDENTIALS_LENGTH,
  parseCredentials,
  quoteString,
} from '../../gateway/security/digest-header.js';

const REALM = 'sip.baton.test';
const USER = 'carrier-a';
const PASSWORD = 'correct horse battery staple';
const URI = 'sip:+14155550100@sip.baton.test';
const TTL_MS = 30_000;

class ManualClock {
  constructor(public t = 1_700_000_000_000) {}
  now(): number {
    return this.t;
  }
}

function makeAuthenticator(
  options: { algorithms?: readonly DigestAlgorithm[]; clock?: ManualClock; secret?: Buffer } = {},
) {
  const clock = options.clock ?? new ManualClock();
  const auth = new DigestAuthenticator({
    realm: REALM,
    secret: options.secret ?? Buffer.alloc(32, 7),
    algorithms: options.algorithms ?? ['SHA-256', 'MD5'],
    nonceTtlMs: TTL_MS,
    clock,
  });
  return { auth, clock };
}

/** A digest computed here with node:crypto, independently of the module under test. */
function hash(algorithm: DigestAlgorithm, text: string): string {
  return createHash(algorithm === 'MD5' ? 'md5' : 'sha256')
    .update(text)
    .digest('hex');
}

function param(challenge: string, name: string): string {
  const m = new RegExp(`\\b${name}="?([^",]*)"?`).exec(challenge);
  if (m?.[1] === undefined) throw new Error(`test setup: no ${name} in ${challenge}`);
  return m[1];
}

interface AnswerOptions {
  algorithm?: DigestAlgorithm;
  username?: string;
  password?: string;
  method?: string;
  realm?: string;
  /** Parameters to add or replace (raw text after `=`), or remove (undefined). */
  override?: Record<string, string | undefined>;
}

/**
 * What a UAC sends back: RFC 7616 §3.4 with qop=auth, computed from scratch. Parameter values
 * in `override` are written as given (so tests control quoting).
 */
function answer(challenge: string, options: AnswerOptions = {}): string {
  const algorithm = options.algorithm ?? (param(challenge, 'algorithm') as DigestAlgorithm);
  const realm = options.realm ?? param(challenge, 'realm');
  const nonce = param(challenge, 'nonce');
  const username = options.username ?? USER;
  const nc = '00000001';
  const cnonce = '0a4f113b';
  const ha1 = hash(algorithm, `${username}:${realm}:${options.password ?? PASSWORD}`);
  const ha2 = hash(algorithm, `${options.method ?? 'INVITE'}:${URI}`);
  const response = hash(algorithm, `${ha1}:${nonce}:${nc}:${cnonce}:auth:${ha2}`);
  const params: Record<string, string | undefined> = {
    username: `"${username}"`,
    realm: `"${realm}"`,
    nonce: `"${nonce}"`,
    uri: `"${URI}"`,
    response: `"${response}"`,
    algorithm,
    qop: 'auth',
    nc,
    cnonce: `"${cnonce}"`,
    ...options.override,
  };
  const list = Object.entries(params)
    .filter((e): e is [string, string] => e[1] !== undefined)
    .map(([k, v]) => `${k}=${v}`);
  return `Digest ${list.join(', ')}`;
}

function verifyInput(
  authorization: string | undefined,
  over: Partial<DigestVerifyInput> = {},
): DigestVerifyInput {
  return {
    method: 'INVITE',
    authorization,
    credentials: { username: USER, password: PASSWORD },
    ...over,
  };
}

describe('digestResponse: published example vectors', () => {
  // RFC 7616 §3.9.1: the same request answered with MD5 and with SHA-256.
  const rfc7616 = {
    username: 'Mufasa',
    realm: 'http-auth@example.org',
    password: 'Circle of Life',
    method: 'GET',
    uri: '/dir/index.html',
    nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
    nc: '00000001',
    cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
    qop: 'auth',
  };

  it.each([
    ['MD5', '8ca523f5e9506fed4657c9700eebdbec'],
    ['SHA-256', '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1'],
  ] as const)('RFC 7616 §3.9.1 %s', (algorithm, expected) => {
    expect(digestResponse(algorithm, rfc7616)).toBe(expected);
  });

  it('RFC 2617 §3.5 (MD5, qop=auth)', () => {
    expect(
      digestResponse('MD5', {
        username: 'Mufasa',
        realm: 'testrealm@host.com',
        password: 'Circle Of Life',
        method: 'GET',
        uri: '/dir/index.html',
        nonce: 'dcd98b7102dd2f0e8b11d0f600bfb0c093',
        nc: '00000001',
        cnonce: '0a4f113b',
        qop: 'auth',
      }),
    ).toBe('6629fae49393a05397450978507c4ef1');
  });

  it.each([
    [
      'MD5',
      'Digest username="Mufasa",\r\n realm="http-auth@example.org",\r\n uri="/dir/index.html",\r\n' +
        ' algorithm=MD5,\r\n nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n nc=00000001,\r\n' +
        ' cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",\r\n qop=auth,\r\n' +
        ' response="8ca523f5e9506fed4657c9700eebdbec",\r\n opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    ],
    [
      'SHA-256',
      'Digest username="Mufasa",\r\n realm="http-auth@example.org",\r\n uri="/dir/index.html",\r\n' +
        ' algorithm=SHA-256,\r\n nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v",\r\n nc=00000001,\r\n' +
        ' cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",\r\n qop=auth,\r\n' +
        ' response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1",\r\n' +
        ' opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"',
    ],
  ] as const)(
    'the RFC 7616 §3.9.1 %s Authorization (folded lines) parses to fields that hash to its response',
    (algorithm, header) => {
      const parsed = parseCredentials(header);
      if (!parsed.ok) throw new Error(parsed.reason);
      const p = parsed.credentials[0]?.params;
      const get = (name: string): string => p?.get(name) ?? '';
      expect(parsed.credentials[0]?.scheme).toBe('Digest');
      expect(get('algorithm')).toBe(algorithm);
      expect(
        digestResponse(algorithm, {
          username: get('username'),
          realm: get('realm'),
          password: 'Circle of Life',
          method: 'GET',
          uri: get('uri'),
          nonce: get('nonce'),
          nc: get('nc'),
          cnonce: get('cnonce'),
          qop: get('qop'),
        }),
      ).toBe(get('response'));
    },
  );
});

describe('challenge', () => {
  it('offers one line per algorithm in configured order, sharing one nonce (RFC 8760 §2.4)', () => {
    const { auth } = makeAuthenticator({ algorithms: ['SHA-256', 'MD5'] });
    const lines = auth.challenge();
    expect(lines).toHaveLength(2);
    const parsed = lines.map((l) => {
      const r = parseCredentials(l);
      if (!r.ok) throw new Error(r.reason);
      return r.credentials[0];
    });
    expect(parsed.map((c) => c?.params.get('algorithm'))).toEqual(['SHA-256', 'MD5']);
    for (const c of parsed) {
      expect(c?.scheme).toBe('Digest');
      expect(c?.params.get('realm')).toBe(REALM);
      expect(c?.params.get('qop')).toBe('auth');
      expect(c?.params.has('stale')).toBe(false);
    }
    expect(parsed[0]?.params.get('nonce')).toBe(parsed[1]?.params.get('nonce'));
    expect(lines[0]).toMatch(
      /^Digest realm="sip\.baton\.test", nonce="[A-Za-z0-9_-]{43}", algorithm=SHA-256, qop="auth"$/,
    );
  });

  it('issues a fresh nonce on every challenge, even within one millisecond', () => {
    const { auth } = makeAuthenticator();
    const nonces = new Set(Array.from({ length: 50 }, () => param(auth.challenge()[0] ?? '', 'nonce')));
    expect(nonces.size).toBe(50);
  });

  it('adds stale=true when asked (RFC 7616 §3.3)', () => {
    const { auth } = makeAuthenticator({ algorithms: ['MD5'] });
    expect(auth.challenge({ stale: true })[0]).toMatch(/, stale=true$/);
  });

  it('quotes a realm with quotes and backslashes as a quoted-string', () => {
    const { auth } = makeAuthenticator();
    const line = auth.challenge({ realm: 'a "b" \\c' })[0] ?? '';
    expect(line).toContain('realm="a \\"b\\" \\\\c"');
    const parsed = parseCredentials(line);
    expect(parsed.ok && parsed.credentials[0]?.params.get('realm')).toBe('a "b" \\c');
  });

  it('refuses a secret too short to key an HMAC well, and an empty algorithm list', () => {
    const clock = new ManualClock();
    const base = { realm: REALM, algorithms: ['MD5'] as const, nonceTtlMs: TTL_MS, clock };
    expect(() => new DigestAuthenticator({ ...base, secret: Buffer.alloc(16) })).toThrow(RangeError);
    expect(() => new DigestAuthenticator({ ...base, secret: Buffer.alloc(32), algorithms: [] })).toThrow(
      RangeError,
    );
  });
});

describe('verify: accepted answers', () => {
  it.each(['SHA-256', 'MD5'] as const)('a correct %s answer computed independently', (algorithm) => {
    const { auth } = makeAuthenticator();
    const line = auth.challenge().find((l) => l.includes(`algorithm=${algorithm},`)) ?? '';
    expect(auth.verify(verifyInput(answer(line)))).toEqual({ ok: true, username: USER, algorithm });
  });

  it('an answer to the MD5 line of a challenge that offered SHA-256 first', () => {
    const { auth } = makeAuthenticator({ algorithms: ['SHA-256', 'MD5'] });
    const [sha] = auth.challenge();
    expect(auth.verify(verifyInput(answer(sha ?? '', { algorithm: 'MD5' })))).toMatchObject({
      ok: true,
      algorithm: 'MD5',
    });
  });

  it('an MD5 answer without an algorithm parameter (RFC 7616 §3.4: MD5 is the default)', () => {
    const { auth } = makeAuthenticator({ algorithms: ['MD5'] });
    const line = auth.challenge()[0] ?? '';
    const value = answer(line, { override: { algorithm: undefined } });
    expect(value).not.toContain('algorithm');
    expect(auth.verify(verifyInput(value))).toMatchObject({ ok: true, algorithm: 'MD5' });
  });

  it('a nonce exactly nonceTtlMs old is still fresh', () => {
    const { auth, clock } = makeAuthenticator();
    const value = answer(auth.challenge()[0] ?? '');
    clock.t += TTL_MS;
    expect(auth.verify(verifyInput(value)).ok).toBe(true);
  });

  it('a nonce issued by another instance holding the same secret', () => {
    const secret = randomBytes(32);
    const a = makeAuthenticator({ secret }).auth;
    const b = makeAuthenticator({ secret }).auth;
    expect(b.verify(verifyInput(answer(a.challenge()[0] ?? ''))).ok).toBe(true);
  });

  it('a per-call realm (the Request-URI host when the trunk sets none)', () => {
    const { auth } = makeAuthenticator();
    const line = auth.challenge({ realm: 'gw.example.net' })[0] ?? '';
    expect(auth.verify(verifyInput(answer(line), { realm: 'gw.example.net' })).ok).toBe(true);
    // Answered under the configured realm instead, the realm matches but the nonce was minted
    // for the other one: nonces are bound to their realm.
    expect(auth.verify(verifyInput(answer(line, { realm: REALM })))).toEqual({
      ok: false,
      reason: 'bad-nonce',
    });
  });

  it.each([
    [
      'upper-case hex in the response',
      (v: string) => v.replace(/response="([0-9a-f]+)"/, (_m, h: string) => `response="${h.toUpperCase()}"`),
    ],
    ['a quoted qop', (v: string) => v.replace('qop=auth', 'qop="auth"')],
    [
      'parameters in reverse order',
      (v: string) => `Digest ${v.slice('Digest '.length).split(', ').reverse().join(', ')}`,
    ],
    ['a lower-case algorithm token', (v: string) => v.replace('algorithm=SHA-256', 'algorithm=sha-256')],
    [
      'an upper-case scheme and parameter names',
      (v: string) =>
        v.replace('Digest', 'DIGEST').replace('username=', 'UserName=').replace('response=', 'RESPONSE='),
    ],
    ['tabs and spaces around = and ,', (v: string) => v.replace(/=/g, ' \t= ').replace(/, /g, ' \t ,\t ')],
    ['folded over several lines', (v: string) => v.replace(/, /g, ',\r\n  ')],
    ['empty list elements', (v: string) => v.replace(/, /g, ', ,, ')],
    ['a trailing comma', (v: string) => `${v},`],
    [
      'unknown parameters, one with a quoted comma and escapes',
      (v: string) => `${v}, x-carrier="a, b \\"c\\"", foo=bar, opaque="zzz"`,
    ],
    [
      'another realm’s credentials first, as joined headers',
      (v: string) =>
        `Digest username="x", realm="other.example", nonce="n", uri="sip:x", response="00", qop=auth, nc=00000001, cnonce="c", ${v}`,
    ],
    ['another scheme first', (v: string) => `Basic realm="x", ${v}`],
  ])('tolerates %s', (_label, mutate) => {
    const { auth } = makeAuthenticator();
    const value = mutate(answer(auth.challenge()[0] ?? ''));
    expect(auth.verify(verifyInput(value))).toEqual({ ok: true, username: USER, algorithm: 'SHA-256' });
  });

  it('a username with an escaped quote and a comma, and a uri with a comma', () => {
    const { auth } = makeAuthenticator({ algorithms: ['MD5'] });
    const line = auth.challenge()[0] ?? '';
    const username = 'o"brien, jr';
    const uri = 'sip:a,b@sip.baton.test';
    const nonce = param(line, 'nonce');
    const ha1 = hash('MD5', `${username}:${REALM}:${PASSWORD}`);
    const response = hash('MD5', `${ha1}:${nonce}:00000001:c1:auth:${hash('MD5', `INVITE:${uri}`)}`);
    const value =
      `Digest username=${quoteString(username)}, realm="${REALM}", nonce="${nonce}", uri="${uri}", ` +
      `response="${response}", qop=auth, nc=00000001, cnonce="c1"`;
    expect(auth.verify(verifyInput(value, { credentials: { username, password: PASSWORD } }))).toMatchObject({
      ok: true,
      username,
    });
  });
});

describe('verify: refusals', () => {
  it.each([undefined, '', '   '])('missing for %j', (value) => {
    const { auth } = makeAuthenticator();
    expect(auth.verify(verifyInput(value))).toEqual({ ok: false, reason: 'missing' });
  });

  it('wrong-realm when the only credentials are for another realm', () => {
    const { auth } = makeAuthenticator();
    const value = answer(auth.challenge()[0] ?? '', { realm: 'other.example' });
    expect(auth.verify(verifyInput(value))).toEqual({ ok: false, reason: 'wrong-realm' });
  });

  it('unknown-user for another username, even with that user’s right digest', () => {
    const { auth } = makeAuthenticator();
    const value = answer(auth.challenge()[0] ?? '', { username: 'carrier-b' });
    expect(auth.verify(verifyInput(value))).toEqual({ ok: false, reason: 'unknown-user' });
  });

  it.each([
    ['a wrong password', { password: 'Tr0ub4dor&3' }],
    ['a digest made for another method (REGISTER)', { method: 'REGISTER' }],
    [
      'a digest computed with MD5 but labelled SHA-256',
      { algorithm: 'MD5' as const, override: { algorithm: 'SHA-256' } },
    ],
  ])('bad-response for %s', (_label, options: AnswerOptions) => {
    const { auth } = makeAuthenticator();
    const value = answer(auth.challenge()[0] ?? '', options);
    expect(auth.verify(verifyInput(value))).toEqual({ ok: false, reason: 'bad-response' });
  });

  it.each([
    [
      'a truncated response',
      (v: string) => v.replace(/response="([0-9a-f]+)"/, (_m, h: string) => `response="${h.slice(0, -1)}"`),
    ],
    ['an empty response', (v: string) => v.replace(/response="[0-9a-f]+"/, 'response=""')],
    [
      'a response with one digit changed',
      (v: string) =>
        v.replace(/response="([0-9a-f])/, (_m, c: string) => `response="${c === '0' ? '1' : '0'}`),
    ],
  ])('bad-response for %s', (_label, mutate) => {
    const { auth } = makeAuthenticator();
    expect(auth.verify(verifyInput(mutate(answer(auth.challenge()[0] ?? ''))))).toEqual({
      ok: false,
      reason: 'bad-response',
    });
  });

  it('stale for a correct answer to an expired nonce; bad-response for a wrong one (RFC 7616 §3.3)', () => {
    const { auth, clock } = makeAuthenticator();
    const line = auth.challenge()[0] ?? '';
    clock.t += TTL_MS + 1;
    expect(auth.verify(verifyInput(answer(line)))).toEqual({ ok: false, reason: 'stale' });
    expect(auth.verify(verifyInput(answer(line, { password: 'guess' })))).toEqual({
      ok: false,
      reason: 'bad-response',
    });
    // The re-challenge the caller sends then verifies.
    const fresh = auth.challenge({ stale: true })[0] ?? '';
    expect(auth.verify(verifyInput(answer(fresh))).ok).toBe(true);
  });

  it.each([
    ['one character of the nonce changed', (n: string) => (n[0] === 'A' ? 'B' : 'A') + n.slice(1)],
    ['the MAC cut short', (n: string) => n.slice(0, -2)],
    ['a character base64url does not have', (n: string) => `${n.slice(0, -1)}+`],
    ['the RFC 7616 example nonce', () => '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v'],
    ['an empty nonce', () => ''],
  ])('bad-nonce for %s', (_label, tamper) => {
    const { auth } = makeAuthenticator();
    const line = auth.challenge()[0] ?? '';
    const nonce = param(line, 'nonce');
    const forged = line.replace(nonce, tamper(nonce));
    // The answer is correct for the forged nonce: only the nonce check can catch it.
    expect(auth.verify(verifyInput(answer(forged)))).toEqual({ ok: false, reason: 'bad-nonce' });
  });

  it('bad-nonce for a nonce minted with another secret', () => {
    const mine = makeAuthenticator({ secret: Buffer.alloc(32, 1) }).auth;
    const theirs = makeAuthenticator({ secret: Buffer.alloc(32, 2) }).auth;
    expect(mine.verify(verifyInput(answer(theirs.challenge()[0] ?? '')))).toEqual({
      ok: false,
      reason: 'bad-nonce',
    });
  });

  it('bad-nonce for a nonce issued further in the future than clock skew explains', () => {
    const clock = new ManualClock();
    const { auth } = makeAuthenticator({ clock });
    const line = auth.challenge()[0] ?? '';
    clock.t -= 31_000;
    expect(auth.verify(verifyInput(answer(line)))).toEqual({ ok: false, reason: 'bad-nonce' });
    clock.t += 2_000;
    expect(auth.verify(verifyInput(answer(line))).ok).toBe(true);
  });

  it.each(['MD5-sess', 'SHA-256-sess', 'SHA-512-256', 'AKAv1-MD5', 'SHA3-256', 'md5sess'])(
    'unsupported-algorithm for %s',
    (algorithm) => {
      const { auth } = makeAuthenticator();
      const value = answer(auth.challenge()[0] ?? '', { override: { algorithm } });
      expect(auth.verify(verifyInput(value))).toEqual({ ok: false, reason: 'unsupported-algorithm' });
    },
  );

  it('unsupported-algorithm for MD5 (stated or implied) when only SHA-256 is configured', () => {
    const { auth } = makeAuthenticator({ algorithms: ['SHA-256'] });
    const line = auth.challenge()[0] ?? '';
    expect(auth.verify(verifyInput(answer(line, { algorithm: 'MD5' })))).toEqual({
      ok: false,
      reason: 'unsupported-algorithm',
    });
    const implied = answer(line, { algorithm: 'MD5', override: { algorithm: undefined } });
    expect(auth.verify(verifyInput(implied))).toEqual({ ok: false, reason: 'unsupported-algorithm' });
  });

  it.each([
    ...['username', 'nonce', 'uri', 'response', 'qop', 'nc', 'cnonce'].map(
      (name) => [`no ${name}`, { [name]: undefined }] as [string, Record<string, string | undefined>],
    ),
    ['no realm', { realm: undefined }],
    ['qop=auth-int (not offered)', { qop: 'auth-int' }],
    ['nc of 7 digits', { nc: '0000001' }],
    ['nc that is not hex', { nc: '0000000g' }],
    ['an empty cnonce', { cnonce: '""' }],
    ['an empty uri', { uri: '""' }],
    ['userhash=true (not offered)', { userhash: 'true' }],
    ['username* (RFC 7616 §3.4.4, not supported)', { 'username*': "UTF-8''J%C3%A4s%C3%B8n" }],
    ['an unterminated quoted string', { opaque: '"abc' }],
    ['a stray quote in a token', { foo: 'a"b' }],
    ['a parameter without a value', { foo: '' }],
  ])('malformed: %s', (_label, override) => {
    const { auth } = makeAuthenticator();
    const value = answer(auth.challenge()[0] ?? '', { override });
    expect(auth.verify(verifyInput(value))).toEqual({ ok: false, reason: 'malformed' });
  });

  it.each([
    ['another scheme only', 'Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=='],
    ['the scheme alone', 'Digest'],
    ['no space after the scheme', 'Digestusername="a"'],
    ['a NUL in a quoted string', 'Digest username="a\u0000b", realm="sip.baton.test"'],
    ['a bare CR inside a quoted string', 'Digest username="a\rb", realm="sip.baton.test"'],
    ['an escape at the very end', 'Digest username="a\\'],
    ['a parameter name that is not a token', 'Digest user name="a"'],
    ['only commas', ',,,'],
  ])('malformed: %s', (_label, value) => {
    const { auth } = makeAuthenticator();
    expect(auth.verify(verifyInput(value))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('malformed: a parameter given twice (RFC 7235 §2.1), even with the same value', () => {
    const { auth } = makeAuthenticator();
    const value = answer(auth.challenge()[0] ?? '');
    const nonce = /nonce="[^"]+"/.exec(value)?.[0] ?? '';
    expect(auth.verify(verifyInput(`${value}, ${nonce}`))).toEqual({ ok: false, reason: 'malformed' });
    expect(auth.verify(verifyInput(`${value}, USERNAME="someone-else"`))).toEqual({
      ok: false,
      reason: 'malformed',
    });
  });

  it('malformed, without parsing it, for a header longer than the cap', () => {
    const { auth } = makeAuthenticator();
    const value = answer(auth.challenge()[0] ?? '', {
      override: { pad: `"${'x'.repeat(MAX_CREDENTIALS_LENGTH)}"` },
    });
    expect(auth.verify(verifyInput(value))).toEqual({ ok: false, reason: 'malformed' });
    const huge = `Digest username="${'a'.repeat(1_000_000)}`;
    expect(auth.verify(verifyInput(huge))).toEqual({ ok: false, reason: 'malformed' });
  });

  it('malformed for more parameters than the cap', () => {
    const { auth } = makeAuthenticator();
    const extra = Object.fromEntries(Array.from({ length: MAX_AUTH_PARAMS }, (_, i) => [`x${i}`, '1']));
    const value = answer(auth.challenge()[0] ?? '', { override: extra });
    expect(auth.verify(verifyInput(value))).toEqual({ ok: false, reason: 'malformed' });
  });
});

describe('parseCredentials', () => {
  it('splits joined credentials at a scheme token, not at commas inside quotes', () => {
    const r = parseCredentials('Digest realm="a, Digest b=c", nonce=x,Digest realm="b" ,  Other token=1');
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.credentials.map((c) => [c.scheme, Object.fromEntries(c.params)])).toEqual([
      ['Digest', { realm: 'a, Digest b=c', nonce: 'x' }],
      ['Digest', { realm: 'b' }],
      ['Other', { token: '1' }],
    ]);
  });

  it('unescapes quoted-pairs and keeps non-ASCII text', () => {
    const r = parseCredentials('Digest username="J\\"ä\\\\s", x="\\a"');
    expect(r.ok && Object.fromEntries(r.credentials[0]?.params ?? [])).toEqual({
      username: 'J"ä\\s',
      x: 'a',
    });
  });

  it('takes an unquoted URI-like value up to the next comma', () => {
    const r = parseCredentials('Digest uri=sip:a@b;transport=udp, nc=00000001');
    expect(r.ok && Object.fromEntries(r.credentials[0]?.params ?? [])).toEqual({
      uri: 'sip:a@b;transport=udp',
      nc: '00000001',
    });
  });

  it('round-trips quoteString for any printable text', () => {
    for (const text of ['', 'plain', 'with "quotes"', 'back\\slash', 'comma, and = sign']) {
      const r = parseCredentials(`Digest v=${quoteString(text)}`);
      expect(r.ok && r.credentials[0]?.params.get('v')).toBe(text);
    }
  });
});
