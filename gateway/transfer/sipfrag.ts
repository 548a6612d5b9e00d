/**
 * Reading the NOTIFYs of a REFER's implicit subscription (RFC 3515 §2.4.4–2.4.7, RFC 6665): the
 * `message/sipfrag` body (RFC 3420) whose status line reports the referred call, the `Event`
 * header that says which REFER it is about, and `Subscription-State`. Pure.
 *
 * Nothing here decides the transfer: {@link readReferNotify} says what the NOTIFY reports, and
 * what to answer when it cannot be used, as a status rather than a message to match on.
 */

/** Larger sipfrag bodies are refused unread: the status line is all Baton needs. */
export const MAX_SIPFRAG_BYTES = 8192;

export interface SipfragStatus {
  readonly status: number;
  readonly reason: string;
  /** Header fields after the status line (RFC 3420 §2 allows any subset), names as sent. */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
}

export type FragResult<T> = { ok: true; value: T } | { ok: false; reason: string };

/**
 * RFC 3515 §2.4.5: the body "MUST begin with a SIP Response Status-Line"
 * (`SIP-Version SP Status-Code SP Reason-Phrase`, RFC 3261 §7.2). The version string compares
 * case-insensitively (RFC 3261 §7.1) and only 2.0 is SIP; an empty reason phrase is tolerated.
 */
const STATUS_LINE = /^SIP\/2\.0 ([1-6][0-9]{2})(?: ([^\r\n]*))?$/i;

export function parseSipfrag(body: string): FragResult<SipfragStatus> {
  if (Buffer.byteLength(body, 'utf8') > MAX_SIPFRAG_BYTES) {
    return { ok: false, reason: `sipfrag body larger than ${MAX_SIPFRAG_BYTES} bytes` };
  }
  const lines = body.replace(/^(?:\r?\n)+/, '').split(/\r?\n/);
  const first = (lines[0] ?? '').trimEnd();
  const m = STATUS_LINE.exec(first);
  if (m === null) {
    return {
      ok: false,
      reason: first === '' ? 'empty sipfrag body' : `not a SIP/2.0 status line: '${first.slice(0, 64)}'`,
    };
  }
  const headers: Array<readonly [string, string]> = [];
  for (const line of lines.slice(1)) {
    // A blank line ends the header fields; a body of the fragment, if any, follows and is not read.
    if (line.trim() === '') break;
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    headers.push([line.slice(0, colon).trim(), line.slice(colon + 1).trim()]);
  }
  return { ok: true, value: { status: Number(m[1]), reason: (m[2] ?? '').trim(), headers } };
}

export interface EventHeader {
  /** The event package, lower case: `refer` for REFER subscriptions. */
  readonly package: string;
  /** The `id` parameter: the CSeq number of the REFER the NOTIFY is about (RFC 3515 §2.4.6). */
  readonly id: string | undefined;
}

/** `Event: refer;id=93809824` (RFC 6665 §8.2.1: event-type *( SEMI event-param )). */
export function parseEventHeader(value: string): FragResult<EventHeader> {
  const [type, ...params] = value.split(';').map((p) => p.trim());
  if (type === undefined || !/^[A-Za-z0-9.!%*_+`'~-]+$/.test(type)) {
    return { ok: false, reason: `not an event type: '${value.slice(0, 64)}'` };
  }
  let id: string | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq > 0 && p.slice(0, eq).trim().toLowerCase() === 'id') id = p.slice(eq + 1).trim();
  }
  return { ok: true, value: { package: type.toLowerCase(), id } };
}

export interface SubscriptionState {
  /** `active`, `pending`, `terminated` (RFC 6665 §8.2.3), or an extension value, lower case. */
  readonly state: string;
  readonly reason: string | undefined;
  readonly expires: number | undefined;
}

/** `Subscription-State: terminated;reason=noresource` or `active;expires=60`. */
export function parseSubscriptionState(value: string): FragResult<SubscriptionState> {
  const [state, ...params] = value.split(';').map((p) => p.trim());
  if (state === undefined || !/^[A-Za-z0-9-]+$/.test(state)) {
    return { ok: false, reason: `not a subscription state: '${value.slice(0, 64)}'` };
  }
  let reason: string | undefined;
  let expires: number | undefined;
  for (const p of params) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const name = p.slice(0, eq).trim().toLowerCase();
    const v = p.slice(eq + 1).trim();
    if (name === 'reason') reason = v.toLowerCase();
    else if (name === 'expires' && /^[0-9]{1,10}$/.test(v)) expires = Number(v);
  }
  return { ok: true, value: { state: state.toLowerCase(), reason, expires } };
}

/** A NOTIFY as this module reads it (header values as received, undefined when absent). */
export interface ReferNotifyInput {
  readonly event: string | undefined;
  readonly subscriptionState: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** Which REFER Baton is waiting on. */
export interface ReferSubscription {
  /** The CSeq number of Baton's REFER. */
  readonly referCseq: number;
  /**
   * Whether it is the first REFER in its dialog: its NOTIFYs may leave out `id` (RFC 3515 §2.4.6
   * requires `id` only to tell several REFERs of one dialog apart).
   */
  readonly firstInDialog: boolean;
}

/** What one NOTIFY reports about the referred call. */
export interface ReferProgress {
  /** The sipfrag status; undefined when a terminating NOTIFY carried no body (seen from some PBXs). */
  readonly status: number | undefined;
  readonly reason: string;
  /** The status is final (≥ 200): the transfer has succeeded or failed. */
  readonly final: boolean;
  /** No further NOTIFY will come (`Subscription-State: terminated`). */
  readonly subscriptionTerminated: boolean;
  readonly terminationReason: string | undefined;
}

export type ReferNotifyResult =
  | { readonly ok: true; readonly progress: ReferProgress }
  | {
      readonly ok: false;
      /** The answer to send to this NOTIFY. */
      readonly answer: { readonly status: number; readonly reason: string };
      readonly problem: string;
    };

/**
 * Read a NOTIFY received in the dialog of Baton's REFER. Answers for NOTIFYs that cannot be used:
 * 489 for another event package (RFC 6665 §8.3.2), 481 for another REFER's subscription (RFC 6665
 * §4.1.3), 415 for a body that is not sipfrag, 400 for a malformed one.
 */
export function readReferNotify(input: ReferNotifyInput, subscription: ReferSubscription): ReferNotifyResult {
  if (input.event === undefined) return refuse(489, 'Bad Event', 'NOTIFY without an Event header');
  const event = parseEventHeader(input.event);
  if (!event.ok) return refuse(400, 'Bad Request', event.reason);
  if (event.value.package !== 'refer') {
    return refuse(489, 'Bad Event', `event package '${event.value.package}' is not refer`);
  }
  const { id } = event.value;
  if (id === undefined ? !subscription.firstInDialog : !sameNumber(id, subscription.referCseq)) {
    return refuse(
      481,
      'Subscription Does Not Exist',
      `NOTIFY for REFER ${id ?? '(no id)'}, not ${subscription.referCseq}`,
    );
  }
  let terminated = false;
  let terminationReason: string | undefined;
  if (input.subscriptionState !== undefined) {
    const state = parseSubscriptionState(input.subscriptionState);
    if (!state.ok) return refuse(400, 'Bad Request', state.reason);
    terminated = state.value.state === 'terminated';
    terminationReason = state.value.reason;
  }
  if (input.body.trim() === '') {
    // RFC 3515 §2.4.5 requires a body; tolerated when the subscription ends, so the end is seen.
    if (!terminated) return refuse(400, 'Bad Request', 'NOTIFY without a sipfrag body');
    return {
      ok: true,
      progress: {
        status: undefined,
        reason: '',
        final: false,
        subscriptionTerminated: true,
        terminationReason,
      },
    };
  }
  if (input.contentType !== undefined && !isSipfrag(input.contentType)) {
    return refuse(415, 'Unsupported Media Type', `body is ${input.contentType}, not message/sipfrag`);
  }
  const frag = parseSipfrag(input.body);
  if (!frag.ok) return refuse(400, 'Bad Request', frag.reason);
  return {
    ok: true,
    progress: {
      status: frag.value.status,
      reason: frag.value.reason,
      final: frag.value.status >= 200,
      subscriptionTerminated: terminated,
      terminationReason,
    },
  };
}

/** `message/sipfrag`, any parameters (`;version=2.0`), any case (RFC 2045 §5.1). */
function isSipfrag(contentType: string): boolean {
  return contentType.split(';')[0]?.trim().toLowerCase() === 'message/sipfrag';
}

/** The id is a token; compare it as the CSeq number it should be (`0042` is 42). */
function sameNumber(id: string, cseq: number): boolean {
  return /^[0-9]{1,10}$/.test(id) && Number(id) === cseq;
}

function refuse(status: number, reason: string, problem: string): ReferNotifyResult {
  return { ok: false, answer: { status, reason }, problem };
}
