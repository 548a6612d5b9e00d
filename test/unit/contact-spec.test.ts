import { describe, it, expect } from 'vitest';
import {
  advertisedHostOf,
  ContactSpecError,
  DEFAULT_SIP_PORT,
  parseContactSpec,
  type ContactProblem,
  type ListenSpec,
} from '../../engine/transport/contact-spec.js';

describe('parseContactSpec', () => {
  it.each<[string, ListenSpec[]]>([
    [
      'sip:127.0.0.1:5090;transport=udp,tcp',
      [
        { protocol: 'udp', bindHost: '127.0.0.1', port: 5090, family: 4 },
        { protocol: 'tcp', bindHost: '127.0.0.1', port: 5090, family: 4 },
      ],
    ],
    ['sip:[::1]:5090;transport=tcp', [{ protocol: 'tcp', bindHost: '::1', port: 5090, family: 6 }]],
    ['sip:*;transport=udp', [{ protocol: 'udp', bindHost: '0.0.0.0', port: 5060, family: 4 }]],
    ['sip:0.0.0.0:5060;transport=udp', [{ protocol: 'udp', bindHost: '0.0.0.0', port: 5060, family: 4 }]],
    ['sip:[::]:0;transport=udp', [{ protocol: 'udp', bindHost: '::', port: 0, family: 6 }]],
    [
      'sip:127.0.0.1',
      [
        { protocol: 'udp', bindHost: '127.0.0.1', port: DEFAULT_SIP_PORT, family: 4 },
        { protocol: 'tcp', bindHost: '127.0.0.1', port: DEFAULT_SIP_PORT, family: 4 },
      ],
    ],
    [
      'SIP:127.0.0.1:5070;Transport=TCP;lr',
      [{ protocol: 'tcp', bindHost: '127.0.0.1', port: 5070, family: 4 }],
    ],
    [
      'sip:127.0.0.1:5070;transport=udp,udp',
      [{ protocol: 'udp', bindHost: '127.0.0.1', port: 5070, family: 4 }],
    ],
  ])('%s', (contact, expected) => {
    const result = parseContactSpec(contact);
    expect(result).toEqual({ ok: true, specs: expected });
  });

  it.each<[string, ContactProblem]>([
    ['127.0.0.1:5060', 'scheme'],
    ['sips:127.0.0.1:5061', 'scheme'],
    ['tel:+15551234', 'scheme'],
    ['sip:example.com:5060', 'host'],
    ['sip:user@127.0.0.1', 'host'],
    ['sip:::1:5060', 'host'],
    ['sip:[::1:5060', 'host'],
    ['sip:[127.0.0.1]:5060', 'host'],
    ['sip:[::1]x', 'host'],
    ['sip:127.0.0.1:99999', 'port'],
    ['sip:127.0.0.1:50a0', 'port'],
    ['sip:127.0.0.1:', 'port'],
    ['sip:127.0.0.1;transport=tls', 'transport'],
    ['sip:127.0.0.1;transport=udp,ws', 'transport'],
    ['sip:127.0.0.1;transport=', 'transport'],
  ])('rejects %s (%s)', (contact, problem) => {
    const result = parseContactSpec(contact);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error).toBeInstanceOf(ContactSpecError);
    expect(result.error.code).toBe('EBADCONTACT');
    expect(result.error.problem).toBe(problem);
    expect(result.error.contact).toBe(contact);
  });
});

describe('advertisedHostOf', () => {
  it.each<[ListenSpec, string]>([
    [{ protocol: 'udp', bindHost: '127.0.0.1', port: 5060, family: 4 }, '127.0.0.1'],
    [{ protocol: 'udp', bindHost: '0.0.0.0', port: 5060, family: 4 }, '127.0.0.1'],
    [{ protocol: 'tcp', bindHost: '::', port: 5060, family: 6 }, '::1'],
    [
      { protocol: 'udp', bindHost: '0.0.0.0', port: 5060, family: 4, advertisedHost: '192.0.2.7' },
      '192.0.2.7',
    ],
  ])('%o → %s', (spec, host) => {
    expect(advertisedHostOf(spec)).toBe(host);
  });
});
