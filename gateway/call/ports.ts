/**
 * The interfaces the call layer needs from the outside world. `gateway/sip/` implements the SIP
 * ones over drachtio-srf; tests implement them with fakes. Nothing here names a vendor type:
 * the call layer talks about the caller, agent and (later) human legs, never about uas/uac.
 */

/** Scheduling through an injected clock, so call timers run under fake time in tests. */
export interface Clock {
  setTimer(fn: () => void, ms: number): TimerHandle;
  clearTimer(handle: TimerHandle): void;
  /** Milliseconds on a monotonic-enough scale (only differences are used). */
  now(): number;
}

export interface TimerHandle {
  readonly __callTimer: unique symbol;
}

/** A party of a SIP message as the call layer sees it (From / To). */
export interface SipParty {
  /** The URI without the angle brackets, e.g. `sip:+4930123@carrier.example`. */
  readonly uri: string;
  /** User part of the URI ('' when it has none). */
  readonly user: string;
  /** Display name without quotes, when one was given. */
  readonly displayName?: string;
}

/** The caller's INVITE, reduced to what the call layer reads. */
export interface InboundInvite {
  /** The SIP Call-ID of the caller's leg (not Baton's call id). */
  readonly sipCallId: string;
  readonly requestUri: string;
  readonly from: SipParty;
  readonly to: SipParty;
  /** The SDP offer, or undefined for a late-offer INVITE. */
  readonly sdp: string | undefined;
  readonly source: { readonly address: string; readonly port: number; readonly protocol: string };
  /** A conversation id carried in from an earlier hop (IVR hand-back), already validated. */
  readonly conversationId?: string;
}

/** A final SIP answer: status and an optional reason phrase (standard phrase when absent). */
export interface SipAnswer {
  readonly status: number;
  readonly reason?: string;
}

/**
 * The caller's INVITE transaction while it is not yet answered. Exactly one of `answer` or
 * `reject` is called; provisionals may come before.
 */
export interface PendingInvitePort {
  /** Relay a provisional response (RFC 3261 §21.1), with the early-media SDP when there is one. */
  sendProvisional(status: number, reason: string | undefined, sdp: string | undefined): void;
  /**
   * Send 200 with `sdp` and open the caller's dialog.
   * @throws when the caller cancelled first or the answer could not be sent
   */
  answer(sdp: string, headers: Readonly<Record<string, string>>): Promise<DialogPort>;
  reject(answer: SipAnswer, headers: Readonly<Record<string, string>>): void;
  /** Called once if the caller sends CANCEL before the answer (RFC 3261 §9.2). */
  onCancel(handler: () => void): void;
}

/** What the call layer asks for when it dials a leg. */
export interface DialRequest {
  readonly uri: string;
  /** From / To header values (name-addr, without tags); the SIP layer adds the From tag. */
  readonly from: string;
  readonly to: string;
  /** Extra headers, names as they must appear on the wire. */
  readonly headers: Readonly<Record<string, string>>;
  readonly sdp: string | undefined;
  /** Digest credentials for a far end that challenges the INVITE (RFC 3261 §22.2), e.g. a trunk's. */
  readonly auth?: Credentials;
}

/** Username and password for a digest challenge (401/407) to a request Baton sends. */
export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** Why an outgoing INVITE did not produce a dialog. */
export type DialFailure =
  /** The far end answered with a final non-2xx status. */
  | { readonly kind: 'rejected'; readonly status: number; readonly reason: string }
  /** Nothing usable came back: transport error, timeout (408 from the stack), no Contact. */
  | { readonly kind: 'unreachable'; readonly detail: string };

export interface DialEvents {
  onProvisional(status: number, reason: string, sdp: string | undefined): void;
  /**
   * The far end answered 200. After an INVITE without SDP (late offer, RFC 3261 §13.2.1) its 200
   * carries the offer and `ack` is given: the dialog is confirmed by the ACK that carries the
   * answer, which the call sends once the other leg has produced one.
   */
  onAnswered(dialog: DialogPort, ack?: PendingAck): void;
  onFailed(failure: DialFailure): void;
}

/** The ACK still owed to a late-offer 200 (RFC 3264 §5: the answer travels in the ACK). */
export interface PendingAck {
  ack(sdp: string | undefined): Promise<void>;
}

/** An outgoing INVITE in progress. */
export interface OutgoingInvitePort {
  /** Send CANCEL (RFC 3261 §9.1); a no-op once a final response has arrived. */
  cancel(): void;
}

export interface DialerPort {
  dial(request: DialRequest, events: DialEvents): OutgoingInvitePort;
}

/** The answer to an in-dialog request the call layer was handed. */
export interface RequestReply {
  accept(sdp: string | undefined): void;
  reject(answer: SipAnswer): void;
}

/** An in-dialog REFER as the call layer reads it (RFC 3515 §2.4). */
export interface InboundRefer {
  /** The Refer-To value as received. */
  readonly referTo: string;
  /** The REFER's CSeq number: the `id` of its implicit subscription's NOTIFYs (RFC 3515 §2.4.6). */
  readonly cseq: number;
  /** Every header of the REFER, names as received (the X-headers become `{{vars.*}}`). */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
}

/** An in-dialog NOTIFY as the call layer reads it (RFC 6665 §4.1.3); header values as received. */
export interface InboundNotify {
  readonly event: string | undefined;
  readonly subscriptionState: string | undefined;
  readonly contentType: string | undefined;
  readonly body: string;
}

/** A request Baton sends inside an established dialog, other than re-INVITE and BYE. */
export interface InDialogRequest {
  readonly method: 'REFER' | 'NOTIFY';
  /** Names as they must appear on the wire. */
  readonly headers: ReadonlyArray<readonly [name: string, value: string]>;
  readonly body?: string;
  /** Credentials for a challenge (RFC 3261 §22.2: in-dialog requests may be challenged too). */
  readonly auth?: Credentials;
}

/** The final answer to an {@link InDialogRequest}, whatever its class. */
export interface InDialogAnswer {
  readonly status: number;
  readonly reason: string;
  /** The CSeq number of the request that got this answer (after a digest retry, the retry's). */
  readonly cseq: number | undefined;
}

/** Why a dialog ended from the far side. */
export interface DialogEnd {
  /** The BYE's Reason text, or the stack's reason for a BYE it generated itself. */
  readonly reason: string;
  /** `X-…` headers of the BYE, for agents that say why they hung up (X-Transfer-* later). */
  readonly headers: Readonly<Record<string, string>>;
}

/** In-dialog events of an established leg. */
export interface DialogHandlers {
  /** The far end sent BYE (or the stack ended the dialog). */
  onEnded(end: DialogEnd): void;
  /** A re-INVITE (RFC 3261 §14.2) with its SDP offer; answer through `reply`. */
  onReinvite(sdp: string | undefined, reply: RequestReply): void;
  /** An in-dialog REFER (RFC 3515); `reply.accept` answers 202 Accepted (§2.4.2). */
  onRefer(refer: InboundRefer, reply: RequestReply): void;
  /** An in-dialog NOTIFY (a REFER subscription's progress, RFC 3515 §2.4.4); answered through `reply`. */
  onNotify(notify: InboundNotify, reply: RequestReply): void;
  /** The ACK of the 200 that opened this dialog as a UAS, with its SDP when it carries one. */
  onAck(sdp: string | undefined): void;
}

/** An established dialog (one leg of a call). */
export interface DialogPort {
  readonly sipCallId: string;
  /** The far end's current SDP. */
  readonly remoteSdp: string | undefined;
  setHandlers(handlers: DialogHandlers): void;
  /**
   * Send a re-INVITE with `sdp` and return the far end's answer.
   * @throws DialogRequestError carrying the status when the far end refuses
   */
  reinvite(sdp: string | undefined): Promise<string | undefined>;
  /**
   * Send a REFER or NOTIFY in the dialog.
   * @returns the final answer, whatever its status (a refused REFER is an outcome, not an error)
   * @throws when the request could not be sent or got no answer at all
   */
  request(request: InDialogRequest): Promise<InDialogAnswer>;
  /**
   * Send BYE, with `headers` when given (an IVR hand-back's transfer tags); resolves when it is
   * answered or fails. A no-op on an ended dialog.
   */
  hangup(headers?: Readonly<Record<string, string>>): Promise<void>;
}

/** A non-2xx answer to an in-dialog request Baton sent; the status travels with it. */
export class DialogRequestError extends Error {
  readonly status: number;
  readonly reason: string;

  constructor(method: string, status: number, reason: string) {
    super(`${method} answered ${status} ${reason}`);
    this.name = 'DialogRequestError';
    this.status = status;
    this.reason = reason;
  }
}
