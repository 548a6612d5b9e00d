import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import { checkHeaders, mergeHeaders, transferHeaderNames } from '../../gateway/transfer/header-rules.js';
import { preservedHeaderNames } from '../../gateway/sip/header-case.js';
import type { Header } from '../../gateway/transfer/transfer-types.js';

describe('checkHeaders', () => {
  it('passes what may be sent', () => {
    expect(
      checkHeaders([
        ['X-Intent', 'billing'],
        ['User-to-User', '616263;encoding=hex'],
        ['P-Preferred-Identity', '<sip:+14155550100@example.com>'],
      ]),
    ).toEqual([]);
  });

  it.each<[string, Header[], string]>([
    ['a header Baton builds', [['Contact', '<sip:evil@203.0.113.9>']], 'bad-name'],
    ['Content-*', [['Content-Type', 'text/plain']], 'bad-name'],
    ['a name that is no token', [['X Intent', 'a']], 'bad-name'],
    ['CR LF in a value (header injection)', [['X-Intent', 'a\r\nVia: SIP/2.0/UDP evil']], 'bad-value'],
    ['NUL in a value', [['X-Intent', 'a\0b']], 'bad-value'],
    ['a value over 1024 characters', [['X-Summary', 'x'.repeat(1025)]], 'bad-value'],
    [
      'the same name twice, any case',
      [
        ['X-Intent', 'a'],
        ['x-intent', 'b'],
      ],
      'duplicate',
    ],
    ['more than 32 headers', Array.from({ length: 33 }, (_, i): Header => [`X-H${i}`, 'v']), 'too-many'],
    [
      'more than 4096 bytes',
      Array.from({ length: 5 }, (_, i): Header => [`X-H${i}`, 'v'.repeat(1000)]),
      'too-large',
    ],
  ])('refuses %s', (_title, headers, kind) => {
    expect(checkHeaders(headers).map((p) => p.kind)).toContain(kind);
  });
});

describe('mergeHeaders', () => {
  it("replaces by name in place, ignoring case, and takes the override's spelling", () => {
    expect(
      mergeHeaders(
        [
          ['X-Intent', 'a'],
          ['X-Caller', 'b'],
        ],
        [
          ['x-intent', 'c'],
          ['X-New', 'd'],
        ],
      ),
    ).toEqual([
      ['x-intent', 'c'],
      ['X-Caller', 'b'],
      ['X-New', 'd'],
    ]);
  });
});

describe('header-name case on the wire', () => {
  it('lists every configured name, for DRACHTIO_PRESERVE_HEADER_NAMES', () => {
    const { transfer } = configSchema.parse({
      trunks: [{ name: 'carrier-a', outbound: { uri: 'sip:gw.example' } }],
      transfer: {
        allow: ['+1*'],
        adhoc: { trunk: 'carrier-a', headers: { Subject: 'transfer' } },
        targets: {
          genesys: {
            kind: 'external',
            method: 'refer',
            destination: 'sip:q@genesys.example',
            headers: { 'X-Intent': '{{vars.intent}}', Priority: 'urgent' },
            uui: { data: '{{conversationId}}', protocolDiscriminator: 0 },
          },
          ivr: { kind: 'ivr', tags: { 'X-Containment': 'transferred' } },
        },
      },
    });
    const names = transferHeaderNames(transfer);
    expect(names).toEqual(['Subject', 'X-Intent', 'Priority', 'User-to-User', 'X-Containment']);
    // gateway/sip/header-case.ts keeps only those drachtio-srf would lower-case.
    expect(preservedHeaderNames(undefined, names)).toBe('Subject,Priority,User-to-User');
  });

  it('asks for nothing when no transfer is configured (the preserve list costs CPU per header)', () => {
    expect(transferHeaderNames(configSchema.parse({}).transfer)).toEqual([]);
  });
});
