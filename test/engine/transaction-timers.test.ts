import { describe, expect, it } from 'vitest';
import { parseVia } from '../../engine/sip/header-values.js';
import { responseHop, responseSendOptions } from '../../engine/transport/response-hop.js';
import {
  deriveTimers,
  nextCappedInterval,
  nextInviteRequestInterval,
} from '../../engine/transaction/timers.js';
import { TransactionError } from '../../engine/transaction/transaction-error.js';
import { clientKeyOfResponse, readTopVia, serverKey } from '../../engine/transaction/transaction-keys.js';
import { DEFAULT_TIMERS } from '../../engine/transaction/transaction-types.js';
import type { MessageSource } from '../../engine/transport/transport-types.js';
import { PEER_TCP, PEER_UDP, parse } from './transaction-test-kit.js';

describe('transaction timers (RFC 3261 Appendix A, RFC 6026 §8.11)', () => {
  it('derives the table for UDP from T1=500, T2=4 s, T4=5 s', () => {
    expect(deriveTimers(DEFAULT_TIMERS, false)).toEqual({
      T1: 500,
      T2: 4000,
      T4: 5000,
      retransmit: true,
      A: 500,
      B: 32_000,
      C: 180_000,
      D: 32_000,
      E: 500,
      F: 32_000,
      G: 500,
      H: 32_000,
      I: 5000,
      J: 32_000,
      K: 5000,
      L: 32_000,
      M: 32_000,
    });
  });

  it('zeroes D, I, J, K and turns retransmissions off over TCP', () => {
    const t = deriveTimers(DEFAULT_TIMERS, true);
    expect([t.retransmit, t.D, t.I, t.J, t.K]).toEqual([false, 0, 0, 0, 0]);
    expect([t.B, t.F, t.H, t.L, t.M]).toEqual([32_000, 32_000, 32_000, 32_000, 32_000]);
  });

  it('scales the 64·T1 timers with T1 but keeps Timer D at 32 s', () => {
    const t = deriveTimers({ T1: 50, T2: 400, T4: 500 }, false);
    expect([t.B, t.F, t.H, t.J, t.L, t.M, t.D, t.K]).toEqual([
      3200, 3200, 3200, 3200, 3200, 3200, 32_000, 500,
    ]);
  });

  it.each([
    { T1: 0, T2: 4000, T4: 5000 },
    { T1: 500, T2: 400, T4: 5000 },
    { T1: 500, T2: 4000, T4: -1 },
    { T1: Number.NaN, T2: 4000, T4: 5000 },
  ])('rejects settings %o with invalid-timer-settings', (settings) => {
    let code: string | undefined;
    try {
      deriveTimers(settings, false);
    } catch (err) {
      code = (err as TransactionError).code;
    }
    expect(code).toBe('invalid-timer-settings');
  });

  it('backs INVITE requests off without a cap, the others up to T2', () => {
    expect([500, 1000, 16_000].map(nextInviteRequestInterval)).toEqual([1000, 2000, 32_000]);
    expect([500, 1000, 2000, 4000].map((ms) => nextCappedInterval(ms, 4000))).toEqual([
      1000, 2000, 4000, 4000,
    ]);
  });
});

describe('response hop (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  const udp = (remoteAddress: string, remotePort: number): MessageSource => ({
    ...PEER_UDP,
    remoteAddress,
    remotePort,
  });

  it.each([
    [
      'received and rport',
      'SIP/2.0/UDP host.example.com:5070;rport=40000;received=192.0.2.9;branch=z9hG4bK1',
      udp('192.0.2.9', 40000),
      '192.0.2.9',
      40000,
    ],
    [
      'rport flag the transport did not fill in',
      'SIP/2.0/UDP 10.0.0.1:5070;rport;branch=z9hG4bK1',
      udp('192.0.2.9', 40001),
      '192.0.2.9',
      40001,
    ],
    [
      'received only',
      'SIP/2.0/UDP host.example.com:5070;received=192.0.2.9;branch=z9hG4bK1',
      udp('192.0.2.9', 40002),
      '192.0.2.9',
      5070,
    ],
    ['sent-by only', 'SIP/2.0/UDP 192.0.2.7:5070;branch=z9hG4bK1', udp('192.0.2.7', 5070), '192.0.2.7', 5070],
    [
      'sent-by without port',
      'SIP/2.0/UDP 192.0.2.7;branch=z9hG4bK1',
      udp('192.0.2.7', 5060),
      '192.0.2.7',
      5060,
    ],
    ['IPv6 received', 'SIP/2.0/UDP [::1]:5070;received=[::1];branch=z9hG4bK1', udp('::1', 5070), '::1', 5070],
  ])('UDP, %s', (_name, via, source, host, port) => {
    expect(responseHop(parseVia(via), source)).toEqual({ protocol: 'udp', host, port });
    expect(responseSendOptions(source)).toBeUndefined();
  });

  it('TCP prefers the connection, with the Via as the reconnect target', () => {
    const via = parseVia('SIP/2.0/TCP client.example.com:5070;received=127.0.0.2;branch=z9hG4bK1')!;
    expect(responseHop(via, PEER_TCP)).toEqual({ protocol: 'tcp', host: '127.0.0.2', port: 5070 });
    expect(responseSendOptions(PEER_TCP)).toEqual({ connectionId: 'conn-7' });
  });
});

describe('transaction keys (RFC 3261 §17.1.3, §17.2.3)', () => {
  const req = parse(`OPTIONS sip:x@example.com SIP/2.0
v: SIP/2.0/UDP Host.Example.com:5070;branch=z9hG4bKabc, SIP/2.0/UDP other.example.com
f: <sip:a@example.com>;tag=1
t: <sip:x@example.com>
i: keys-1
CSeq: 3 OPTIONS
l: 0

`);

  it('keys RFC 3261 requests on branch, sent-by (host case-folded) and method', () => {
    const top = readTopVia(req)!;
    expect(serverKey(req, top, 'OPTIONS')).toBe('z9hG4bKabc|host.example.com:5070|OPTIONS');
  });

  it('keys responses on branch and CSeq method', () => {
    const res = parse(`SIP/2.0 200 OK
Via: SIP/2.0/UDP 127.0.0.1;branch=z9hG4bKxyz
From: <sip:a@example.com>;tag=1
To: <sip:x@example.com>;tag=2
Call-ID: keys-2
CSeq: 9 CANCEL
Content-Length: 0

`);
    expect(clientKeyOfResponse(res)).toBe('z9hG4bKxyz|CANCEL');
  });
});
