import { describe, expect, it } from 'vitest';
import { preservedHeaderNames } from '../../gateway/sip/header-case.js';
import { displayNameOf } from '../../gateway/sip/sip-party.js';

describe('DRACHTIO_PRESERVE_HEADER_NAMES', () => {
  it.each([
    [undefined, ['User-to-User', 'X-Caller', 'P-Charge-Info'], 'User-to-User'],
    [undefined, ['P-Asserted-Identity'], 'P-Asserted-Identity'],
    ['Foo-Bar', ['User-to-User', 'Foo-Bar'], 'Foo-Bar,User-to-User'],
    [' Foo , ,Bar ', ['Retry-After'], 'Foo,Bar,Retry-After'],
    [undefined, ['X-Only', 'Diversion'], undefined],
    ['', [], ''],
  ])('existing %j + %j → %j', (existing, names, expected) => {
    expect(preservedHeaderNames(existing, names)).toBe(expected);
  });
});

describe('display names (RFC 3261 §25.1 quoted-string)', () => {
  it.each([
    ['"Baton \\"X\\" Caller"', 'Baton "X" Caller'],
    ['"a\\\\b"', 'a\\b'],
    ['Bob', 'Bob'],
    ['  Bob  ', 'Bob'],
    ['""', undefined],
    ['', undefined],
    [undefined, undefined],
  ])('%j → %j', (raw, expected) => {
    expect(displayNameOf(raw)).toBe(expected);
  });
});
