import { describe, it, expect } from 'vitest';
import { stampTopVia } from '../../engine/transport/via-stamp.js';

describe('stampTopVia (RFC 3261 §18.2.1, RFC 3581 §4)', () => {
  it.each<[string, string, number, string | undefined]>([
    // sent-by is the source: untouched
    ['SIP/2.0/UDP 127.0.0.1:5061;branch=z9hG4bK-1', '127.0.0.1', 5061, undefined],
    ['SIP/2.0/UDP 127.0.0.1:5061', '127.0.0.1', 40000, undefined],
    // host differs: received added, everything else as written
    [
      'SIP/2.0/UDP pc33.example.com:5060;Branch=z9hG4bK-1',
      '192.0.2.4',
      5060,
      'SIP/2.0/UDP pc33.example.com:5060;Branch=z9hG4bK-1;received=192.0.2.4',
    ],
    ['SIP/2.0/UDP 10.0.0.1', '192.0.2.4', 5060, 'SIP/2.0/UDP 10.0.0.1;received=192.0.2.4'],
    // RFC 3581 §4 example: rport filled with the source port, received added
    [
      'SIP/2.0/UDP 10.1.1.1:4540;rport;branch=z9hG4bKkjshdyff',
      '192.0.2.1',
      9988,
      'SIP/2.0/UDP 10.1.1.1:4540;rport=9988;branch=z9hG4bKkjshdyff;received=192.0.2.1',
    ],
    // rport present, host equal to the source: received is still added
    [
      'SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bK-1;RPORT',
      '127.0.0.1',
      44000,
      'SIP/2.0/TCP 127.0.0.1:5061;branch=z9hG4bK-1;rport=44000;received=127.0.0.1',
    ],
    // a received the sender put there itself is replaced in place
    [
      'SIP/2.0/UDP 10.0.0.1:5060;received=6.6.6.6;branch=z9hG4bK-1',
      '192.0.2.4',
      5060,
      'SIP/2.0/UDP 10.0.0.1:5060;received=192.0.2.4;branch=z9hG4bK-1',
    ],
    // only the first element of a comma list is touched
    [
      'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-0;rport',
      '192.0.2.4',
      1234,
      'SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-1;rport=1234;received=192.0.2.4, SIP/2.0/UDP 10.0.0.2;branch=z9hG4bK-0;rport',
    ],
    // IPv6: sent-by in brackets, received without (RFC 3261 §20.42 grammar)
    ['SIP/2.0/UDP [::1]:5061;branch=z9hG4bK-1', '::1', 5061, undefined],
    [
      'SIP/2.0/UDP [2001:db8::9]:5061;branch=z9hG4bK-1;rport',
      '::1',
      5061,
      'SIP/2.0/UDP [2001:db8::9]:5061;branch=z9hG4bK-1;rport=5061;received=::1',
    ],
    // LWS in sent-protocol (RFC 3261 §25.1 allows it around "/")
    ['SIP / 2.0 / UDP 10.0.0.1;branch=z9hG4bK-1', '10.0.0.1', 5060, undefined],
    // quoted string parameter containing ';' and ',' survives
    [
      'SIP/2.0/UDP 10.0.0.1;x="a;b,c";branch=z9hG4bK-1',
      '192.0.2.4',
      5060,
      'SIP/2.0/UDP 10.0.0.1;x="a;b,c";branch=z9hG4bK-1;received=192.0.2.4',
    ],
  ])('%s from %s:%d', (via, ip, port, expected) => {
    const stamp = stampTopVia(via, ip, port);
    expect(stamp).toBeDefined();
    expect(stamp?.value).toBe(expected);
  });

  it('reports the sent-by host and port', () => {
    expect(stampTopVia('SIP/2.0/TCP [::1]:5071;branch=z9hG4bK-1', '::1', 40000)).toEqual({
      value: undefined,
      sentByHost: '::1',
      sentByPort: 5071,
    });
    expect(
      stampTopVia('SIP/2.0/TCP example.com;branch=z9hG4bK-1', '127.0.0.1', 40000)?.sentByPort,
    ).toBeUndefined();
  });

  it.each([
    '',
    'garbage',
    'SIP/2.0/UDP',
    'SIP/2.0/UDP ;branch=x',
    'SIP/2.0/UDP [::1;branch=x',
    'SIP/2.0/UDP a:0',
  ])('returns undefined for a non-Via %j', (via) => {
    expect(stampTopVia(via, '127.0.0.1', 5060)).toBeUndefined();
  });
});
