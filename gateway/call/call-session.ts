/**
 * One live call. Owns its legs (the caller's INVITE and dialog, the agent's outgoing INVITE and
 * dialog), its timers and the answers it owes to in-dialog requests; feeds every event through
 * the pure machine in `call-machine.ts` and carries out the effects through the ports.
 *
 * Events enter through one serialised entry point ({@link CallSession.dispatch}): an effect
 * that causes another event synchronously (a fake dialer, a cancel that fails at once) queues
 * it, so a transition always completes before the next begins.
 */
import type { Logger } from '../observability/logger.js';
import type { CallResult } from '../observability/metrics.js';
import { buildAgentInvite } from './agent-invite.js';
import type { TransferService } from '../transfer/transfer-service.js';
import { transition } from './call-machine.js';
import type { CallEffect, CallEvent, CallState, EndCause, HangupRequester, Leg } from './call-state.js';
import { CallTransfers, type ApiTransferBody } from './call-transfers.js';
import {
  DialogRequestError,
  type Clock,
  type DialerPort,
  type DialogPort,
  type InboundInvite,
  type OutgoingInvitePort,
  type PendingAck,
  type PendingInvitePort,
  type RequestReply,
  type SipAnswer,
  type TimerHandle,
} from './ports.js';
import type { HeaderTemplates } from './template.js';
import { TransferRefusedError } from '../errors.js';
import { TARGET_HEADER } from '../transfer/trigger-input.js';

/** Where the agent leg goes and how long it may take (from `aiAgent`). */
export interface AgentTarget {
  readonly uri: string;
  readonly headerTemplates: HeaderTemplates;
  readonly answerTimeoutMs: number;
  readonly failureAnswer: SipAnswer;
}

/** What the registry learns about a call's life (metrics, store, the active-calls map). */
export interface CallObserver {
  /** The first provisional beyond 100 was relayed to the caller: the caller hears ringing. */
  onRinging(call: CallSession): void;
  onAnswered(call: CallSession, setupMs: number): void;
  onEnded(call: CallSession, result: CallResult, cause: EndCause): void;
}

export interface CallSessionOptions {
  id: string;
  conversationId: string;
  trunk: string | undefined;
  invite: InboundInvite;
  caller: PendingInvitePort;
  dialer: DialerPort;
  agent: AgentTarget;
  clock: Clock;
  /** Wall-clock time the INVITE arrived (for the API and the store). */
  startedAt: Date;
  logger: Logger;
  observer: CallObserver;
  /** Transfers (always given by the gateway; tests of the plain call path leave it out). */
  transfers?: TransferService;
  /** Whether transfers are configured: a REFER from the AI leg starts one (else 501). */
  transfersConfigured?: boolean;
}

/** A forwarded re-INVITE answered with anything but a SIP status still needs an answer. */
const REINVITE_FAILED: SipAnswer = { status: 500, reason: 'Server Internal Error' };

export class CallSession {
  readonly id: string;
  readonly conversationId: string;
  readonly trunk: string | undefined;
  readonly invite: InboundInvite;
  readonly startedAt: Date;
  private answeredAtDate: Date | undefined;
  private rang = false;
  private current: CallState = { name: 'new' };
  private readonly opts: CallSessionOptions;
  private readonly log: Logger;
  private readonly startedAtMs: number;

  private outgoing: OutgoingInvitePort | undefined;
  /** Late offer: the ACK the agent's 200 still waits for. */
  private agentAck: PendingAck | undefined;
  private readonly dialogs: Partial<Record<Leg, DialogPort>> = {};
  private answerTimer: TimerHandle | undefined;
  private nextRequestId = 1;
  private readonly replies = new Map<number, RequestReply>();
  private readonly transfers: CallTransfers | undefined;

  private readonly queue: CallEvent[] = [];
  private dispatching = false;
  /** Hang-ups and answers still on the wire; the call is settled when they are done. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private settledResolve: (() => void) | undefined;
  private readonly settledPromise: Promise<void>;

  constructor(opts: CallSessionOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.conversationId = opts.conversationId;
    this.trunk = opts.trunk;
    this.invite = opts.invite;
    this.startedAt = opts.startedAt;
    this.startedAtMs = opts.clock.now();
    this.log = opts.logger;
    this.settledPromise = new Promise((resolve) => (this.settledResolve = resolve));
    this.transfers =
      opts.transfers === undefined
        ? undefined
        : new CallTransfers(opts.transfers, {
            callId: opts.id,
            conversationId: opts.conversationId,
            trunk: opts.trunk,
            invite: opts.invite,
            dialer: opts.dialer,
            agent: opts.agent,
            clock: opts.clock,
            log: opts.logger,
            state: () => this.current,
            dialog: (leg) => this.dialogs[leg],
            adopt: (leg, dialog) => {
              this.attach(leg, dialog);
              this.dispatch({ type: 'leg-up', leg });
            },
            detachCaller: () => {
              const dialog = this.dialogs.caller;
              delete this.dialogs.caller;
              return dialog;
            },
            dispatch: (event) => this.dispatch(event),
            track: (p) => this.track(p),
          });
  }

  get state(): CallState {
    return this.current;
  }

  get answeredAt(): Date | undefined {
    return this.answeredAtDate;
  }

  /** Whether the caller has been sent a ringing (or early-media) provisional (the store's `ringing`). */
  get ringing(): boolean {
    return this.rang;
  }

  /** Dial the agent. Call once, right after construction. */
  start(): void {
    this.opts.caller.onCancel(() => this.dispatch({ type: 'caller-cancelled' }));
    this.dispatch({ type: 'start' });
  }

  /**
   * End the call from Baton's side (control API, shutdown).
   * @returns when every leg has been released
   */
  hangup(by: HangupRequester): Promise<void> {
    this.dispatch({ type: 'hangup-requested', by });
    return this.settled();
  }

  /**
   * Transfer the caller (control API).
   * @returns the transfer session id
   * @throws TransferConflictError (409), TransferRefusedError (403 / 400)
   */
  requestTransfer(body: ApiTransferBody): string {
    if (this.transfers === undefined) {
      throw new TransferRefusedError({
        code: 'target-not-allowed',
        httpStatus: 403,
        message: 'no transfer targets are configured',
      });
    }
    return this.transfers.startFromApi(body);
  }

  /** Resolves once the call has ended and its last BYE/CANCEL has been answered or failed. */
  settled(): Promise<void> {
    return this.settledPromise;
  }

  /** The single entry point for events; see the module comment. */
  dispatch(event: CallEvent): void {
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) this.step(next);
    } finally {
      this.dispatching = false;
    }
  }

  private step(event: CallEvent): void {
    const from = this.current;
    const t = transition(from, event, {
      failureAnswer: this.opts.agent.failureAnswer,
      transfers: this.transfers !== undefined && this.opts.transfersConfigured === true,
    });
    this.current = t.state;
    if (t.ignored)
      this.log.debug({ state: from.name, event: event.type }, 'call event ignored in this state');
    else if (from.name !== t.state.name)
      this.log.debug({ from: from.name, event: event.type, to: t.state.name }, 'call state');
    for (const effect of t.effects) {
      try {
        this.run(effect);
      } catch (err) {
        // An adapter that throws must not leave the other effects of the transition undone.
        this.log.error({ err, effect: effect.type }, 'call effect failed');
      }
    }
  }

  private run(effect: CallEffect): void {
    switch (effect.type) {
      case 'dial-agent':
        this.dialAgent();
        return;
      case 'start-timer':
        this.answerTimer = this.opts.clock.setTimer(() => {
          this.answerTimer = undefined;
          this.dispatch({ type: 'agent-answer-timeout' });
        }, this.opts.agent.answerTimeoutMs);
        return;
      case 'clear-timer':
        this.clearAnswerTimer();
        return;
      case 'send-provisional':
        this.opts.caller.sendProvisional(effect.status, effect.reason, effect.sdp);
        if (!this.rang) {
          this.rang = true;
          this.opts.observer.onRinging(this);
        }
        return;
      case 'answer-caller':
        this.answerCaller(effect.sdp);
        return;
      case 'reject-caller':
        this.opts.caller.reject(effect.answer, {});
        return;
      case 'cancel-agent':
        this.outgoing?.cancel();
        this.transfers?.cancelRedial();
        return;
      case 'ack-agent':
        this.ackAgent(effect.sdp);
        return;
      case 'hangup':
        this.hangupLeg(effect.leg);
        return;
      case 'start-transfer': {
        const reply = effect.trigger.kind === 'refer' ? this.takeReply(effect.trigger.requestId) : undefined;
        if (this.transfers === undefined) reply?.reject({ status: 501, reason: 'Not Implemented' });
        else this.transfers.startFromTrigger(effect.trigger, reply);
        return;
      }
      case 'transfer-event':
        this.transfers?.event(effect.event);
        return;
      case 'forward-reinvite':
        this.forwardReinvite(effect.to, effect.sdp);
        return;
      case 'accept-request':
        this.takeReply(effect.requestId)?.accept(effect.sdp);
        return;
      case 'reject-request':
        this.takeReply(effect.requestId)?.reject(effect.answer);
        return;
      case 'record-answered': {
        this.answeredAtDate = new Date(this.startedAt.getTime() + (this.opts.clock.now() - this.startedAtMs));
        const setupMs = this.opts.clock.now() - this.startedAtMs;
        this.log.info({ setupMs }, 'call answered');
        this.opts.observer.onAnswered(this, setupMs);
        return;
      }
      case 'finish':
        this.finish(effect.result, effect.cause);
        return;
      default: {
        const unknown: never = effect;
        throw new Error(`unhandled call effect ${JSON.stringify(unknown)}`);
      }
    }
  }

  private dialAgent(): void {
    const { request, skippedHeaders } = buildAgentInvite({
      callId: this.id,
      conversationId: this.conversationId,
      trunk: this.trunk,
      invite: this.invite,
      agentUri: this.opts.agent.uri,
      headerTemplates: this.opts.agent.headerTemplates,
    });
    for (const s of skippedHeaders)
      this.log.warn({ header: s.name, reason: s.reason }, 'configured header left out');
    this.outgoing = this.opts.dialer.dial(request, {
      onProvisional: (status, reason, sdp) =>
        this.dispatch({ type: 'agent-provisional', status, reason, sdp }),
      onAnswered: (dialog, ack) => {
        this.agentAck = ack;
        this.attach('agent', dialog);
        this.dispatch({ type: 'agent-answered', sdp: dialog.remoteSdp, lateOffer: ack !== undefined });
      },
      onFailed: (failure) => {
        this.log.info({ leg: 'agent', failure }, 'agent leg failed');
        this.dispatch({ type: 'agent-failed', failure });
      },
    });
  }

  private answerCaller(sdp: string | undefined): void {
    const answering = this.opts.caller.answer(sdp ?? '', {}).then(
      (dialog) => {
        this.attach('caller', dialog);
        this.dispatch({ type: 'caller-answered' });
      },
      (err: unknown) => {
        this.log.info({ err, leg: 'caller' }, 'caller leg could not be answered');
        this.dispatch({ type: 'caller-answer-failed' });
      },
    );
    this.track(answering);
  }

  private attach(leg: Leg, dialog: DialogPort): void {
    this.dialogs[leg] = dialog;
    dialog.setHandlers({
      onEnded: (end) => {
        this.log.info({ leg, reason: end.reason }, 'leg hung up');
        if (this.dialogs[leg] === dialog) delete this.dialogs[leg];
        const headers = Object.entries(end.headers);
        const transfer =
          leg === 'agent' && headers.some(([name]) => name.toLowerCase() === TARGET_HEADER.toLowerCase());
        this.dispatch(transfer ? { type: 'hungup', leg, transfer: headers } : { type: 'hungup', leg });
      },
      onReinvite: (sdp, reply) =>
        this.dispatch({ type: 'reinvite', from: leg, requestId: this.keepReply(reply), sdp }),
      onRefer: (refer, reply) =>
        this.dispatch({ type: 'refer', from: leg, requestId: this.keepReply(reply), refer }),
      onNotify: (notify, reply) => {
        if (leg === 'caller' && this.transfers !== undefined) this.transfers.onCallerNotify(notify, reply);
        else reply.reject({ status: 481, reason: 'Subscription Does Not Exist' });
      },
      onAck: (sdp) => {
        if (leg === 'caller') this.dispatch({ type: 'caller-acked', sdp });
      },
    });
  }

  private ackAgent(sdp: string | undefined): void {
    const pending = this.agentAck;
    this.agentAck = undefined;
    if (pending === undefined) return;
    this.track(
      pending.ack(sdp).catch((err: unknown) => {
        // Without its ACK the agent's dialog cannot be confirmed: the call cannot go on.
        this.log.warn({ err, leg: 'agent' }, 'ACK to the agent failed');
        delete this.dialogs.agent;
        this.dispatch({ type: 'hungup', leg: 'agent' });
      }),
    );
  }

  private forwardReinvite(to: Leg, sdp: string | undefined): void {
    const dialog = this.dialogs[to];
    if (dialog === undefined) {
      this.dispatch({ type: 'reinvite-failed', answer: REINVITE_FAILED });
      return;
    }
    this.track(
      dialog.reinvite(sdp).then(
        (answer) => this.dispatch({ type: 'reinvite-answered', sdp: answer }),
        (err: unknown) => {
          const answer =
            err instanceof DialogRequestError ? { status: err.status, reason: err.reason } : REINVITE_FAILED;
          this.log.info({ err, leg: to }, 're-INVITE refused');
          this.dispatch({ type: 'reinvite-failed', answer });
        },
      ),
    );
  }

  private hangupLeg(leg: Leg): void {
    const dialog = this.dialogs[leg];
    if (dialog === undefined) return;
    delete this.dialogs[leg];
    // The AI leg's final NOTIFY goes out (and is answered) before its BYE.
    const after =
      leg === 'agent' && this.transfers !== undefined ? this.transfers.agentNotified() : undefined;
    const bye = after === undefined ? dialog.hangup() : after.then(() => dialog.hangup());
    this.track(bye.catch((err: unknown) => this.log.warn({ err, leg }, 'BYE failed')));
  }

  private keepReply(reply: RequestReply): number {
    const id = this.nextRequestId++;
    this.replies.set(id, reply);
    return id;
  }

  private takeReply(id: number): RequestReply | undefined {
    const reply = this.replies.get(id);
    this.replies.delete(id);
    return reply;
  }

  private clearAnswerTimer(): void {
    if (this.answerTimer === undefined) return;
    this.opts.clock.clearTimer(this.answerTimer);
    this.answerTimer = undefined;
  }

  private track(p: Promise<unknown>): void {
    this.inFlight.add(p);
    void p.finally(() => {
      this.inFlight.delete(p);
      this.maybeSettled();
    });
  }

  private finish(result: CallResult, cause: EndCause): void {
    this.clearAnswerTimer();
    this.transfers?.callEnded();
    this.log.info({ result, cause, durationMs: this.opts.clock.now() - this.startedAtMs }, 'call ended');
    this.opts.observer.onEnded(this, result, cause);
    this.maybeSettled();
  }

  private maybeSettled(): void {
    if (this.current.name === 'ended' && this.inFlight.size === 0) this.settledResolve?.();
  }
}
