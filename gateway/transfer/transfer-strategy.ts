/**
 * One interface for every transfer mode (E5): a {@link TransferStrategy} sends one attempt
 * (INVITE the target, REFER the caller's leg, BYE the IVR leg) and reports what comes back as
 * {@link AttemptEvent}s; the transfer session machine decides what they mean and the runner
 * (`transfer-runner.ts`) carries its effects out through the attempt's {@link AttemptHandle}.
 * Strategies talk to the call through {@link TransferCallPort} only: no SIP library, no media
 * library, no timers (every wait is a named session timer the runner owns).
 */
import type {
  Credentials,
  DialEvents,
  DialogPort,
  DialRequest,
  InboundNotify,
  InDialogAnswer,
  InDialogRequest,
  OutgoingInvitePort,
  PendingAck,
  RequestReply,
  SipParty,
} from '../call/ports.js';
import type { Logger } from '../observability/logger.js';
import type { TransferSessionEvent } from './transfer-session-state.js';
import type { TransferMode, TransferRequest } from './transfer-types.js';

/** What the call does for a transfer attempt (implemented by the call session). */
export interface TransferCallPort {
  /** Send an INVITE for a new leg (the target). */
  dial(request: DialRequest, events: DialEvents): OutgoingInvitePort;
  /** The target answered: the call takes its dialog as the human leg (its BYE and re-INVITEs). */
  adoptHuman(dialog: DialogPort): void;
  /**
   * Move the caller's media to the human who answered: re-INVITE the caller with the human's
   * offer (its 200 to Baton's offerless INVITE), then ACK the human with the caller's answer
   * (RFC 3264 §5; the third-party call control of RFC 3725 §4.1, with Baton as controller).
   * @throws TransferFailure `media-failed` (with the caller's status) when the caller refuses
   */
  bridgeCaller(dialog: DialogPort, ack: PendingAck | undefined): Promise<void>;
  /** Send a REFER on the caller's leg; its NOTIFYs reach {@link AttemptHandle.onCallerNotify}. */
  referCaller(request: InDialogRequest): Promise<InDialogAnswer>;
  /** BYE the caller's leg carrying `headers` (an IVR hand-back's tags). */
  byeCaller(headers: Readonly<Record<string, string>>): Promise<void>;
}

/** The call as an attempt describes it to the target. */
export interface CallParties {
  /** The caller's From: who the target sees calling (the transferee, RFC 5589 §2). */
  readonly caller: SipParty;
  /** What the caller dialled: Baton's side of the caller's dialog, the referrer of a REFER. */
  readonly called: SipParty;
}

/** What a strategy may report: the attempt's part of {@link TransferSessionEvent}. */
export type AttemptEvent = Extract<
  TransferSessionEvent,
  { type: 'refer-accepted' | 'progress' | 'answered' | 'bridged' | 'failed' }
>;

export interface AttemptContext {
  readonly request: TransferRequest;
  readonly call: TransferCallPort;
  readonly parties: CallParties;
  /** The trunk's credentials for a far end that challenges the INVITE or REFER (401/407). */
  readonly auth: Credentials | undefined;
  /** Baton's own context headers for a new leg (call, conversation and transfer ids). */
  readonly contextHeaders: Readonly<Record<string, string>>;
  /** Report progress; events after the attempt is over are the session machine's to refuse. */
  report(event: AttemptEvent): void;
  readonly log: Logger;
}

/** The effects of the session machine that act on one attempt. */
export interface AttemptHandle {
  /** CANCEL the INVITE to the target (RFC 3261 §9.1); a REFER or BYE cannot be withdrawn. */
  cancel(): void;
  /** The target answered: move the caller's media to it (bridge modes); reports `bridged` or `failed`. */
  bridge(): void;
  /** A NOTIFY on the caller's leg while this attempt runs (REFER modes); always answered. */
  onCallerNotify(notify: InboundNotify, reply: RequestReply): void;
}

export interface TransferStrategy {
  /** Send the attempt; what comes back is reported through `ctx.report`. */
  start(ctx: AttemptContext): AttemptHandle;
}

/** One strategy per mode; a mode without one fails to compile (E5). */
export type TransferStrategies = Readonly<Record<TransferMode, TransferStrategy>>;

/**
 * RFC 6665 §8.3.1: a NOTIFY that matches no subscription of this dialog gets 481. Strategies that
 * send no REFER answer every caller-leg NOTIFY so.
 */
export function refuseNotify(reply: RequestReply): void {
  reply.reject({ status: 481, reason: 'Subscription Does Not Exist' });
}

/** The handle of an attempt that failed before anything was sent: nothing to cancel or bridge. */
export function inertHandle(): AttemptHandle {
  return {
    cancel: () => undefined,
    bridge: () => undefined,
    onCallerNotify: (_notify, reply) => refuseNotify(reply),
  };
}
