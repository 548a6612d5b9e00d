/**
 * Header-name case on the wire. drachtio-srf lower-cases the name of every header an
 * application sends, except `X-…`, `P-…` (not P-Asserted-*), `Diversion` and the names listed in
 * the environment variable `DRACHTIO_PRESERVE_HEADER_NAMES` (comma-separated), which it reads
 * each time it sends (`getHeaderName` in drachtio-srf's `lib/sip-parser/parser.js`). Some
 * receivers match header names case-sensitively against the spelling they expect (Genesys and
 * `User-to-User`), so every configured name Baton sends is put on that list at start. Only when
 * one is needed: drachtio-srf then re-reads and splits the variable for every header it names,
 * which costs a few per cent of the CPU at high call rates. Pure.
 */

/** The environment variable drachtio-srf reads. */
export const PRESERVE_HEADER_NAMES_ENV = 'DRACHTIO_PRESERVE_HEADER_NAMES';

/** Names drachtio-srf keeps as written without being told. */
function keptAnyway(name: string): boolean {
  return (
    name.startsWith('X-') || (name.startsWith('P-') && !name.startsWith('P-Asserted')) || name === 'Diversion'
  );
}

/**
 * The value for {@link PRESERVE_HEADER_NAMES_ENV}: what is already there plus every name in
 * `names` drachtio-srf would otherwise lower-case, each once, in first-seen order.
 * @returns undefined when nothing needs preserving and nothing was set
 */
export function preservedHeaderNames(
  existing: string | undefined,
  names: Iterable<string>,
): string | undefined {
  const list = (existing ?? '')
    .split(',')
    .map((n) => n.trim())
    .filter((n) => n !== '');
  for (const name of names) {
    if (!keptAnyway(name) && !list.includes(name)) list.push(name);
  }
  return list.length === 0 ? existing : list.join(',');
}
