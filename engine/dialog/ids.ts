/**
 * Identifiers the engine mints: tags (RFC 3261 §19.3), branches with the magic cookie
 * (§8.1.1.7), Call-IDs (§8.1.1.4), control-protocol transaction ids, and drachtio dialog ids.
 */
import { randomBytes, randomUUID } from 'node:crypto';

/** RFC 3261 §8.1.1.7: branches we mint start with the magic cookie `z9hG4bK`. */
export const MAGIC_COOKIE = 'z9hG4bK';

// Random bytes are drawn in blocks: a crypto call per tag is a measurable cost at 1,500 calls/s.
let pool = Buffer.alloc(0);
let poolPos = 0;
function randomHex(bytes: number): string {
  if (poolPos + bytes > pool.length) {
    pool = randomBytes(4096);
    poolPos = 0;
  }
  const s = pool.toString('hex', poolPos, poolPos + bytes);
  poolPos += bytes;
  return s;
}

/** A From/To tag: at least 32 bits of randomness (§19.3). */
export function newTag(): string {
  return randomHex(8);
}

export function newBranch(): string {
  return MAGIC_COOKIE + randomHex(10);
}

/**
 * RFC 3261 §8.1.1.4: a globally unique Call-ID; the `@host` part is optional and left out, as
 * sofia-sip does, because apps reuse Call-IDs as tokens (drachtio-srf's own tests put one in a
 * To tag, where `@` is not allowed).
 */
export function newCallId(): string {
  return randomHex(16);
}

/** Engine transaction ids are opaque UUIDs to the app, never SIP branch values. */
export function newTxnId(): string {
  return randomUUID();
}

/** drachtio's dialog id: `<Call-ID>;from-tag=<From tag of the dialog-creating request>`. */
export function dialogIdOf(callId: string, fromTag: string): string {
  return `${callId};from-tag=${fromTag}`;
}

/** A CSeq start value: RFC 3261 §8.1.1.5 wants it below 2**31; random keeps dialogs distinct. */
export function initialCSeq(): number {
  return 1 + Math.floor(Math.random() * 10_000);
}
