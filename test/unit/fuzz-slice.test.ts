/**
 * A fixed slice of the fuzz run (test/fuzz/run-fuzz.ts) inside the normal test run: the same
 * 3,000 mutated messages every time, through parser, serializer, validation and header-value
 * parsers, asserting no exception and the serialize → parse round-trip.
 */
import { describe, expect, it } from 'vitest';
import { parseMessage } from '../../engine/sip/parser.js';
import { loadCorpus } from '../fuzz/corpus.js';
import { checkInput, checkUriInput } from '../fuzz/fuzz-target.js';
import { generateCase, generateUri } from '../fuzz/mutate.js';

const SEED = 0x5eed;
const CASES = 3_000;
const corpus = loadCorpus();

describe('fuzz slice', () => {
  it('generates the same case from the same seed and index, and different ones otherwise', () => {
    expect(generateCase(SEED, 17, corpus).equals(generateCase(SEED, 17, corpus))).toBe(true);
    expect(generateCase(SEED, 17, corpus).equals(generateCase(SEED, 18, corpus))).toBe(false);
    expect(generateCase(SEED, 17, corpus).equals(generateCase(SEED + 1, 17, corpus))).toBe(false);
  });

  it(`${CASES} mutated messages: no exception, and every parsed one round-trips`, () => {
    const findings: string[] = [];
    let parsedOk = 0;
    for (let i = 0; i < CASES; i++) {
      const input = generateCase(SEED, i, corpus);
      if (parseMessage(input).ok) parsedOk++;
      const finding = checkInput(input) ?? checkUriInput(generateUri(SEED, i));
      if (finding) findings.push(`case ${i}: ${finding.kind}: ${finding.detail.split('\n')[0]}`);
    }
    expect(findings).toEqual([]);
    // Not vacuous: the slice reaches both the success path and the failure paths.
    expect(parsedOk).toBeGreaterThan(CASES / 20);
    expect(parsedOk).toBeLessThan(CASES);
  });

  it('the unmutated corpus parses where it should and round-trips', () => {
    for (const text of corpus) expect(checkInput(Buffer.from(text, 'latin1'))).toBeUndefined();
  });
});
