/**
 * Which extra headers a transfer may send, checked per call on rendered values (the configuration
 * checks the same rules at start, with the same functions from
 * `config/schema/transfer-headers.ts`), and which configured names drachtio-srf must be told to
 * leave in their case. Pure.
 *
 * Names keep the case they were written with: SIP compares names case-insensitively (RFC 3261
 * §7.3.1) but some receivers do not (Genesys ignores `User-To-User`, wants `User-to-User`).
 * drachtio-srf lower-cases every name it sends except `X-…`, `P-…` (not P-Asserted-*), `Diversion`
 * and those listed in `DRACHTIO_PRESERVE_HEADER_NAMES` (`getHeaderName` in its
 * `lib/sip-parser/parser.js`); `gateway/sip/header-case.ts` builds that list from the names given
 * here. The list is set at start, so a per-call override name outside it keeps its case only when
 * drachtio-srf keeps it anyway (`X-…`, `P-…`). A real drachtio-server additionally capitalises
 * after each dash (`User-To-User`); the Refer-To-URI placement of UUI is the way around that.
 */
import {
  checkHeaderName,
  checkHeaderValue,
  MAX_TRANSFER_HEADER_BYTES,
  MAX_TRANSFER_HEADERS,
} from '../../config/schema/transfer-headers.js';
import type { Header } from './transfer-types.js';

export type HeaderProblemKind = 'bad-name' | 'bad-value' | 'duplicate' | 'too-many' | 'too-large';

export interface HeaderProblem {
  readonly kind: HeaderProblemKind;
  /** The header concerned; empty for problems of the whole set. */
  readonly name: string;
  readonly message: string;
}

/** Every problem of a set of extra headers (empty when it may be sent). */
export function checkHeaders(headers: readonly Header[]): HeaderProblem[] {
  const problems: HeaderProblem[] = [];
  const seen = new Set<string>();
  let bytes = 0;
  for (const [name, value] of headers) {
    const nameProblem = checkHeaderName(name);
    if (nameProblem !== undefined) problems.push({ kind: 'bad-name', name, message: nameProblem });
    const valueProblem = checkHeaderValue(value);
    if (valueProblem !== undefined)
      problems.push({ kind: 'bad-value', name, message: `${name}: ${valueProblem}` });
    const key = name.toLowerCase();
    if (seen.has(key)) problems.push({ kind: 'duplicate', name, message: `${name} appears twice` });
    seen.add(key);
    bytes += Buffer.byteLength(`${name}: ${value}\r\n`, 'utf8');
  }
  if (headers.length > MAX_TRANSFER_HEADERS) {
    problems.push({ kind: 'too-many', name: '', message: `more than ${MAX_TRANSFER_HEADERS} extra headers` });
  }
  if (bytes > MAX_TRANSFER_HEADER_BYTES) {
    problems.push({
      kind: 'too-large',
      name: '',
      message: `extra headers take ${bytes} bytes, more than ${MAX_TRANSFER_HEADER_BYTES}`,
    });
  }
  return problems;
}

/**
 * `base` with `overrides` applied: a name present in both (ignoring case) takes the override's
 * value and spelling, in the base's position; new names follow in their order.
 */
export function mergeHeaders<V>(
  base: ReadonlyArray<readonly [string, V]>,
  overrides: ReadonlyArray<readonly [string, V]>,
): Array<readonly [string, V]> {
  const out: Array<readonly [string, V]> = [...base];
  for (const [name, value] of overrides) {
    const at = out.findIndex(([n]) => n.toLowerCase() === name.toLowerCase());
    if (at >= 0) out[at] = [name, value];
    else out.push([name, value]);
  }
  return out;
}

/** The parts of the transfer configuration that name headers. */
interface HeaderNamingConfig {
  readonly allow: readonly string[];
  readonly adhoc: HeaderNamingTarget;
  readonly targets: Readonly<
    Record<string, HeaderNamingTarget & { readonly tags: Readonly<Record<string, string>> }>
  >;
}

interface HeaderNamingTarget {
  readonly headers: Readonly<Record<string, string>>;
  readonly uui?: { readonly headerName: string } | undefined;
}

/**
 * Every header name the transfer configuration sends, each once in first-seen order: the names
 * to hand to `preservedHeaderNames` (gateway/sip/header-case.ts) at start. `User-to-User` is
 * included whenever transfers are configured at all, because a per-call override may add UUI to
 * any target.
 */
export function transferHeaderNames(transfer: HeaderNamingConfig): string[] {
  const names: string[] = [];
  const add = (name: string): void => {
    if (!names.includes(name)) names.push(name);
  };
  const addTarget = (t: HeaderNamingTarget, tags: Readonly<Record<string, string>> = {}): void => {
    Object.keys(t.headers).forEach(add);
    Object.keys(tags).forEach(add);
    if (t.uui !== undefined) add(t.uui.headerName);
  };
  const targets = Object.values(transfer.targets);
  if (targets.length === 0 && transfer.allow.length === 0) return names;
  addTarget(transfer.adhoc);
  for (const target of targets) addTarget(target, target.tags);
  add('User-to-User');
  return names;
}
