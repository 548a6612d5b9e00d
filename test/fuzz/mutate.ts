/**
 * Deterministic, seeded mutators for SIP messages. Every case is a pure function of
 * (seed, case index, corpus), so any finding can be replayed from the two numbers alone.
 *
 * Messages are handled as latin1 strings, which map bytes 1:1 to characters: no mutation
 * ever goes through a UTF-8 decode that would normalise the bytes it is meant to break.
 */

/** mulberry32: small, fast, good enough to spread mutations; not for cryptography. */
export class Rng {
  #state: number;

  constructor(seed: number) {
    this.#state = seed >>> 0;
  }

  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return n <= 0 ? 0 : this.next() % n;
  }

  chance(p: number): boolean {
    return this.next() / 0x1_0000_0000 < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }
}

/** The generator for case `index` of run `seed` (independent of every other case). */
export function caseRng(seed: number, index: number): Rng {
  let h = (seed ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return new Rng(h ^ (h >>> 16));
}

type Mutator = (msg: string, rng: Rng, corpus: readonly string[]) => string;

/** Largest mutated message: enough to cross every parse limit, small enough to stay fast. */
const MAX_CASE_BYTES = 200_000;

const INTERESTING = [
  '',
  ' ',
  '\t',
  '\r',
  '\n',
  '\r\n',
  '\r\n ',
  '\0',
  '%',
  '%00',
  '%zz',
  '%2',
  '"',
  '\\',
  '\\"',
  '<',
  '>',
  '<>',
  ';',
  ';;',
  ',',
  ',,',
  '=',
  ':',
  '::',
  '@',
  '@@',
  '?',
  '&',
  '[',
  ']',
  '[::1]',
  '[2001:db8::1]:5060',
  '255.255.255.255',
  '999.1.1.1',
  '65536',
  '-1',
  '4294967296',
  '99999999999999999999',
  '0',
  'SIP/2.0',
  'SIP/3.0',
  'sip:',
  'sips:',
  'tel:',
  'tel:+',
  'z9hG4bK',
  '*',
  '\xff\xfe',
  '\xc3\x28',
  '\xe2\x82',
  '\xf0\x9f\x98\x80',
];

const HEADER_NAMES = [
  'Via',
  'v',
  'From',
  'f',
  'To',
  't',
  'Call-ID',
  'i',
  'CSeq',
  'Contact',
  'm',
  'Content-Length',
  'l',
  'Content-Type',
  'c',
  'Max-Forwards',
  'Require',
  'Accept',
  'Date',
  'Expires',
  'Route',
  'Record-Route',
  'X-Custom',
];

function lines(msg: string): string[] {
  return msg.split('\n');
}

function headerEnd(msg: string): number {
  const i = msg.indexOf('\r\n\r\n');
  return i >= 0 ? i : msg.length;
}

function at(msg: string, rng: Rng): number {
  return rng.int(msg.length + 1);
}

/** A long value shaped to stress scanners: quotes, escapes, separators, brackets, folds. */
function hugeValue(rng: Rng): string {
  const unit = rng.pick([
    'a',
    ';',
    ';a=',
    ',',
    '"',
    '\\"',
    '<',
    '<sip:a@b>',
    '%',
    '%41',
    '[',
    ':',
    ' ',
    '\r\n ',
    'a,b;',
    '\t',
  ]);
  const n = 1 + rng.int(rng.chance(0.3) ? 60_000 : 2_000);
  return unit.repeat(Math.max(1, Math.floor(n / unit.length)));
}

const MUTATORS: readonly Mutator[] = [
  // Flip a few bits anywhere.
  (m, rng) => {
    const b = Buffer.from(m, 'latin1');
    for (let k = 1 + rng.int(8); k > 0 && b.length > 0; k--) {
      const i = rng.int(b.length);
      b[i] = b[i]! ^ (1 << rng.int(8));
    }
    return b.toString('latin1');
  },
  // Overwrite a byte with a random one.
  (m, rng) => {
    const i = rng.int(m.length);
    return m.slice(0, i) + String.fromCharCode(rng.int(256)) + m.slice(i + 1);
  },
  // Truncate.
  (m, rng) => m.slice(0, rng.int(m.length)),
  // Duplicate a header line (or several copies of it).
  (m, rng) => {
    const ls = lines(m);
    const i = 1 + rng.int(Math.max(1, ls.length - 1));
    const copies = rng.chance(0.1) ? 300 : 1 + rng.int(3);
    ls.splice(i, 0, ...Array<string>(copies).fill(ls[i] ?? ''));
    return ls.join('\n');
  },
  // Delete a line.
  (m, rng) => {
    const ls = lines(m);
    ls.splice(rng.int(ls.length), 1);
    return ls.join('\n');
  },
  // Insert CR, LF, NUL, a fold, a high byte or an interesting token.
  (m, rng) => {
    const i = at(m, rng);
    return m.slice(0, i) + rng.pick(INTERESTING) + m.slice(i);
  },
  // Replace a run of characters with an interesting token.
  (m, rng) => {
    const i = at(m, rng);
    return m.slice(0, i) + rng.pick(INTERESTING) + m.slice(i + 1 + rng.int(12));
  },
  // Add a header with a huge, pathological value.
  (m, rng) => {
    const end = headerEnd(m);
    return `${m.slice(0, end)}\r\n${rng.pick(HEADER_NAMES)}: ${hugeValue(rng)}${m.slice(end)}`;
  },
  // Random Content-Length (or a second one).
  (m, rng) => {
    const value = rng.pick([
      '0',
      '1',
      '-1',
      '150',
      '99999',
      '4294967296',
      'five',
      ' 12 ',
      '00000000000000000000001',
      String(rng.int(2000)),
    ]);
    const re = /^(Content-Length|l)[ \t]*:[^\r\n]*/im;
    if (rng.chance(0.3) || !re.test(m)) {
      const end = headerEnd(m);
      return `${m.slice(0, end)}\r\nContent-Length: ${value}${m.slice(end)}`;
    }
    return m.replace(re, (_all, name: string) => `${name}: ${value}`);
  },
  // Splice: the head of this message with the tail of another.
  (m, rng, corpus) => {
    const other = rng.pick(corpus);
    return m.slice(0, at(m, rng)) + other.slice(rng.int(other.length));
  },
  // Delete the blank line (or turn it into a bare LF one).
  (m, rng) => m.replace('\r\n\r\n', rng.chance(0.5) ? '\r\n' : '\n\n'),
  // Bare LF line endings.
  (m) => m.replace(/\r\n/g, '\n'),
  // Fold a header line at a random point.
  (m, rng) => {
    const end = headerEnd(m);
    const i = rng.int(end);
    return `${m.slice(0, i)}\r\n${rng.pick([' ', '\t', '   '])}${m.slice(i)}`;
  },
  // White space (legal or not) before a colon.
  (m, rng) => m.replace(/:/, rng.pick([' :', '\t:', '\f:', '\v:', '\0:', ' \r\n :'])),
  // Swap two lines.
  (m, rng) => {
    const ls = lines(m);
    const a = rng.int(ls.length);
    const b = rng.int(ls.length);
    [ls[a], ls[b]] = [ls[b]!, ls[a]!];
    return ls.join('\n');
  },
  // Repeat a chunk of bytes.
  (m, rng) => {
    const i = rng.int(m.length);
    const chunk = m.slice(i, i + 1 + rng.int(40));
    return m.slice(0, i) + chunk.repeat(1 + rng.int(rng.chance(0.1) ? 2000 : 5)) + m.slice(i);
  },
  // Mangle the start line's version, code or method.
  (m, rng) => {
    const nl = m.indexOf('\r\n');
    const first = nl < 0 ? m : m.slice(0, nl);
    const parts = first.split(' ');
    parts[rng.int(parts.length)] = rng.pick([
      'SIP/2.0',
      'SIP/7.0',
      'sip/2.0',
      '999',
      '4294967301',
      '1000',
      'INVITE',
      '<sip:a@b>',
      'sip:a b',
      '',
      'ACK',
    ]);
    return parts.join(' ') + (nl < 0 ? '' : m.slice(nl));
  },
  // Change the case of header names.
  (m, rng) => {
    const end = headerEnd(m);
    const head = m
      .slice(0, end)
      .replace(/^[A-Za-z-]+/gm, (n) => (rng.chance(0.5) ? n.toUpperCase() : n.toLowerCase()));
    return head + m.slice(end);
  },
];

/** Apply 1–4 mutators (picked by `rng`) to `msg`. */
export function mutate(msg: string, rng: Rng, corpus: readonly string[]): string {
  let out = msg;
  for (let k = 1 + rng.int(4); k > 0; k--) {
    out = rng.pick(MUTATORS)(out, rng, corpus);
    if (out.length > MAX_CASE_BYTES) out = out.slice(0, MAX_CASE_BYTES);
  }
  return out;
}

/** Case `index` of run `seed`: a corpus message, mutated (now and then left intact). */
export function generateCase(seed: number, index: number, corpus: readonly string[]): Buffer {
  const rng = caseRng(seed, index);
  const base = rng.pick(corpus);
  const text = rng.chance(0.03) ? base : mutate(base, rng, corpus);
  return Buffer.from(text, 'latin1');
}

const URI_SEEDS = [
  'sip:alice@atlanta.com',
  'sips:bob:secret@[2001:db8::10]:5061;transport=tls;lr?subject=hi&x=%41',
  'sip:+15551234567;npdi;rn=+1555@gw.example.com;user=phone',
  'tel:+1-201-555-0123;ext=1234',
  'tel:7042;phone-context=example.com',
  "sip:1_unusual.URI~(to-be!sure)&isn't+it$/crazy?,/;;*:&it+has=1,weird!*pas$wo~d_too.(doesn't-it)@example.com",
  'sip:%61lice@192.0.2.4:5060;maddr=239.255.255.1;ttl=15',
];

/** A mutated URI string for the URI parser alone. */
export function generateUri(seed: number, index: number): string {
  const rng = caseRng(seed ^ 0x55aa55aa, index);
  let uri = rng.pick(URI_SEEDS);
  for (let k = rng.int(4); k > 0; k--) {
    const i = rng.int(uri.length + 1);
    uri = uri.slice(0, i) + rng.pick(INTERESTING) + uri.slice(i + rng.int(3));
  }
  return uri;
}
