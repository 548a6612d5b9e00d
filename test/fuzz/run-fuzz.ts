/**
 * `npm run fuzz`: mutate the SIP corpus and run every case through the parser, serializer,
 * validation, URI and header-value parsers (fuzz-target.ts). Any exception or broken
 * round-trip prints the seed and case number (enough to replay it) and exits 1.
 *
 *   npm run fuzz                                   100,000 cases, seed 1
 *   npm run fuzz -- --cases 1000000 --seed 42      more cases, another seed
 *   npm run fuzz -- --seed random                  a fresh seed (printed)
 *   npm run fuzz -- --seed 42 --case 1234          replay one case, printing its input
 *   FUZZ_CASES=… FUZZ_SEED=…                       the same through the environment
 */
import { parseArgs } from 'node:util';
import { loadCorpus } from './corpus.js';
import { checkInput, checkUriInput, type Finding } from './fuzz-target.js';
import { generateCase, generateUri } from './mutate.js';

const { values } = parseArgs({
  options: {
    cases: { type: 'string' },
    seed: { type: 'string' },
    case: { type: 'string' },
  },
});

function parseSeed(text: string | undefined): number {
  if (text === undefined) return 1;
  if (text === 'random') return (Math.random() * 0x1_0000_0000) >>> 0;
  const n = Number(text);
  if (!Number.isInteger(n)) throw new Error(`--seed must be an integer or "random", not ${text}`);
  return n >>> 0;
}

const seed = parseSeed(values.seed ?? process.env.FUZZ_SEED);
const cases = Number(values.cases ?? process.env.FUZZ_CASES ?? 100_000);
const corpus = loadCorpus();

function report(index: number, input: Buffer | string, finding: Finding): void {
  const bytes = typeof input === 'string' ? Buffer.from(input, 'latin1') : input;
  console.error(`FUZZ FINDING seed=${seed} case=${index} kind=${finding.kind}`);
  console.error(finding.detail);
  console.error(`input (${bytes.length} bytes, base64): ${bytes.subarray(0, 4096).toString('base64')}`);
  console.error(`replay: npm run fuzz -- --seed ${seed} --case ${index}`);
}

function runOne(index: number): boolean {
  const input = generateCase(seed, index, corpus);
  const finding = checkInput(input);
  if (finding) {
    report(index, input, finding);
    return false;
  }
  const uri = generateUri(seed, index);
  const uriFinding = checkUriInput(uri);
  if (uriFinding) {
    report(index, uri, uriFinding);
    return false;
  }
  return true;
}

if (values.case !== undefined) {
  const index = Number(values.case);
  const input = generateCase(seed, index, corpus);
  console.log(`seed=${seed} case=${index} input (latin1):\n${input.toString('latin1')}`);
  process.exitCode = runOne(index) ? 0 : 1;
} else {
  if (!Number.isInteger(cases) || cases <= 0)
    throw new Error(`case count must be a positive integer, not ${cases}`);
  console.log(`fuzzing ${cases} cases, seed ${seed}, corpus of ${corpus.length} messages`);
  const started = process.hrtime.bigint();
  let failed = false;
  for (let i = 0; i < cases; i++) {
    if (!runOne(i)) {
      failed = true;
      break;
    }
    if ((i + 1) % 25_000 === 0) console.log(`  ${i + 1} cases`);
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  if (failed) process.exitCode = 1;
  else
    console.log(
      `${cases} cases in ${seconds.toFixed(1)} s: ${Math.round(cases / seconds)} cases/s, no findings`,
    );
}
