/**
 * One call's side of transfers: turns a trigger (the AI leg's REFER or BYE, the control API) into
 * a transfer session, answers the REFER (202, or 403/400 when the target is refused), and does
 * for the session what only the call can: dial and adopt the human's leg, move the caller's media
 * with a re-INVITE, REFER or BYE the caller's leg, NOTIFY the AI leg, and dial the AI agent again
 * to return the caller to it. The call machine keeps the facts (`LegSet`); this class owns the
 * I/O of transfers, as `call-session.ts` owns the rest.
 */
import type { Logger } from '../observability/logger.js';
import type { NotifyMessage } from '../transfer/refer-headers.js';
import { TransferRequestError } from '../transfer/transfer-errors.js';
import type { TransferHost } from '../transfer/transfer-host.js';
import type { TransferRun } from '../transfer/transfer-runner.js';
import type { TransferService } from '../transfer/transfer-service.js';
import { TransferFailure, type TransferTrigger } from '../transfer/transfer-types.js';
import type { ResolveInput } from '../transfer/target-resolver.js';
import { TransferConflictError, TransferRefusedError } from '../errors.js';
import { buildAgentInvite } from './agent-invite.js';
import { transferAllowed } from './call-connected.js';
import type { CallEvent, CallState, CallTransferTrigger, FarLeg, Leg } from './call-state.js';
import {
  DialogRequestError,
  type Clock,
  type DialerPort,
  type DialogPort,
  type InboundInvite,
  type InboundNotify,
  type OutgoingInvitePort,
  type PendingAck,
  type RequestReply,
  type TimerHandle,
} from './ports.js';
import type { TemplateValues } from './template.js';
import type { AgentTarget } from './call-session.js';

/** What the call session lends its transfers. */
export interface CallLegAccess {
  readonly callId: string;
  readonly conversationId: string;
  readonly trunk: string | undefined;
  readonly invite: InboundInvite;
  readonly dialer: DialerPort;
  readonly agent: AgentTarget;
  readonly clock: Clock;
  readonly log: Logger;
  state(): CallState;
  dialog(leg: Leg): DialogPort | undefined;
  /** Take `dialog` as the call's `leg` (its BYE, re-INVITE…) and tell the machine it is up. */
  adopt(leg: FarLeg, dialog: DialogPort): void;
  /** Give up the caller's dialog without the call's BYE (a hand-back sends its own). */
  detachCaller(): DialogPort | undefined;
  dispatch(event: CallEvent): void;
  /** Keep the call unsettled until `p` is done. */
  track(p: Promise<unknown>): void;
}

/** The control API's body, as received (validated by the resolver). */
export interface ApiTransferBody {
  readonly target: unknown;
  readonly vars?: unknown;
  readonly overrides?: unknown;
}

/** The REFER is answered 500 when Baton itself fails to start the transfer. */
const START_FAILED = { status: 500, reason: 'Server Internal Error' } as const;

export class CallTransfers {
  private readonly service: TransferService;
  private readonly call: CallLegAccess;
  private current: TransferRun | undefined;
  private readonly runs: TransferRun[] = [];
  /** NOTIFYs to the AI leg go one at a time, each after the previous one's answer. */
  private agentNotifies: Promise<void> = Promise.resolve();
  private redial: OutgoingInvitePort | undefined;
  private redialTimer: TimerHandle | undefined;
  private readonly host: TransferHost;

  constructor(service: TransferService, call: CallLegAccess) {
    this.service = service;
    this.call = call;
    this.host = {
      dial: (request, events) => call.dialer.dial(request, events),
      adoptHuman: (dialog) => call.adopt('human', dialog),
      bridgeCaller: (dialog, ack) => this.bridge('human', dialog, ack),
      referCaller: (request) => {
        const caller = call.dialog('caller');
        if (caller === undefined) return Promise.reject(new Error('the caller’s leg has ended'));
        return caller.request(request);
      },
      byeCaller: (headers) => {
        const caller = call.detachCaller();
        if (caller === undefined) return Promise.resolve();
        const bye = caller.hangup(headers);
        call.track(bye.catch(() => undefined));
        return bye;
      },
      notifyAgent: (notify) => this.notifyAgent(notify),
      release: (leg, cause) => call.dispatch({ type: 'release', leg, cause }),
      redialAgent: (headers) => this.redialAgent(headers),
      transferEnded: (completed) => {
        this.current = undefined;
        call.dispatch({ type: 'transfer-ended', completed });
      },
    };
  }

  /** Resolves once the NOTIFYs queued for the AI leg have been answered (BYE it after them). */
  agentNotified(): Promise<void> {
    return this.agentNotifies;
  }

  /**
   * The AI leg asked for a transfer (the machine's `start-transfer`): its REFER is answered 202
   * and the session starts, or the REFER is refused (403 not allowed, 400 invalid) and the call
   * goes on as before. A BYE trigger cannot be answered: a refused one is only logged.
   */
  startFromTrigger(trigger: CallTransferTrigger, reply: RequestReply | undefined): void {
    const input: ResolveInput =
      trigger.kind === 'refer'
        ? { target: trigger.refer.referTo, headers: trigger.refer.headers }
        : { target: targetHeader(trigger.headers) ?? '', headers: trigger.headers };
    let run: TransferRun;
    try {
      run = this.begin(trigger.kind, input, trigger.kind === 'refer' ? trigger.refer.cseq : undefined);
    } catch (err) {
      this.refused(err, input.target);
      if (err instanceof TransferRequestError)
        reply?.reject({ status: err.sipStatus, reason: err.sipReason });
      else reply?.reject(START_FAILED);
      this.call.dispatch({ type: 'transfer-ended', completed: false });
      return;
    }
    // RFC 3515 §2.4.2: 202 first; the subscription's first NOTIFY follows as the session starts.
    reply?.accept(undefined);
    run.start();
  }

  /**
   * The control API asks for a transfer.
   * @returns the transfer session id
   * @throws TransferConflictError (409) when a transfer runs or the caller is not with the agent
   * @throws TransferRefusedError (403 / 400) when the target, vars or overrides are refused
   */
  startFromApi(body: ApiTransferBody): string {
    const state = this.call.state();
    if (!transferAllowed(state)) {
      const why =
        state.name !== 'connected'
          ? `the call is ${state.name}`
          : 'a transfer is already running or the caller is not with the AI agent';
      throw new TransferConflictError(this.call.callId, why);
    }
    if (typeof body.target !== 'string' || body.target.trim() === '') {
      throw new TransferRefusedError({
        code: 'invalid-transfer-request',
        httpStatus: 400,
        message: 'target: required, a configured target name, a number or a SIP URI',
      });
    }
    let run: TransferRun;
    try {
      run = this.begin('api', { target: body.target, vars: body.vars, overrides: body.overrides }, undefined);
    } catch (err) {
      this.refused(err, body.target);
      if (err instanceof TransferRequestError) {
        throw new TransferRefusedError(
          { code: err.code, httpStatus: err.httpStatus, message: err.message },
          { cause: err },
        );
      }
      throw err;
    }
    this.call.dispatch({ type: 'transfer-started' });
    run.start();
    return run.id;
  }

  /** A leg went away while a transfer runs (the machine's `transfer-event`). */
  event(event: 'caller-hungup' | 'agent-hungup' | 'human-hungup'): void {
    this.current?.event({ type: event });
  }

  /** A NOTIFY on the caller's leg: for the running transfer's REFER, else 481. */
  onCallerNotify(notify: InboundNotify, reply: RequestReply): void {
    if (this.current === undefined) reply.reject({ status: 481, reason: 'Subscription Does Not Exist' });
    else this.current.onCallerNotify(notify, reply);
  }

  /** CANCEL the INVITE that dials the AI agent again, if one is out. */
  cancelRedial(): void {
    this.clearRedialTimer();
    this.redial?.cancel();
  }

  /** The call has ended: every session still open (one back with the agent, post_agent) ends too. */
  callEnded(): void {
    this.clearRedialTimer();
    for (const run of this.runs) if (!run.ended) run.event({ type: 'caller-hungup' });
  }

  private begin(trigger: TransferTrigger, input: ResolveInput, referCseq: number | undefined): TransferRun {
    const { invite } = this.call;
    const values: TemplateValues = {
      'call.id': this.call.callId,
      'call.from.user': invite.from.user,
      'call.to.user': invite.to.user,
      conversationId: this.call.conversationId,
      trunk: this.call.trunk ?? '',
    };
    const run = this.service.begin({
      callId: this.call.callId,
      conversationId: this.call.conversationId,
      trunk: this.call.trunk,
      trigger,
      input,
      referCseq,
      values,
      parties: { caller: invite.from, called: invite.to },
      host: this.host,
      logger: this.call.log,
    });
    this.current = run;
    this.runs.push(run);
    return run;
  }

  private refused(err: unknown, target: unknown): void {
    if (err instanceof TransferRequestError) {
      const shown = typeof target === 'string' ? target.slice(0, 128) : undefined;
      if (err.code === 'target-not-allowed')
        this.call.log.warn({ target: shown }, 'transfer target not allowed');
      else this.call.log.warn({ target: shown, err: err.message }, 'transfer request invalid');
      return;
    }
    this.call.log.error({ err }, 'transfer could not start');
  }

  private notifyAgent(notify: NotifyMessage): void {
    const dialog = this.call.dialog('agent');
    if (dialog === undefined) return;
    const send = (): Promise<void> =>
      dialog.request({ method: 'NOTIFY', headers: notify.headers, body: notify.body }).then(
        (answer) => {
          if (answer.status >= 300)
            this.call.log.info({ status: answer.status }, 'the AI leg refused a NOTIFY');
        },
        (err: unknown) => this.call.log.info({ err }, 'NOTIFY to the AI leg failed'),
      );
    this.agentNotifies = this.agentNotifies.then(send);
    this.call.track(this.agentNotifies);
  }

  /**
   * Move the caller's media to `to`, whose 200 carried an offer: re-INVITE the caller with it,
   * and ACK `to` with the caller's answer (RFC 3264 §5). The far leg's 200 waits un-ACKed
   * meanwhile (it retransmits, RFC 3261 §13.3.1.4); if the caller refuses, releasing that leg
   * ACKs and BYEs it.
   */
  private async bridge(to: FarLeg, dialog: DialogPort, ack: PendingAck | undefined): Promise<void> {
    const caller = this.call.dialog('caller');
    const state = this.call.state();
    if (caller === undefined || state.name !== 'connected') {
      throw new TransferFailure('caller-hung-up');
    }
    if (state.reinvite !== undefined) {
      // RFC 3261 §14.1: no second re-INVITE on the caller's dialog while one is pending.
      throw new TransferFailure('media-failed', { status: 491, reason: 'Request Pending', phase: 'invite' });
    }
    this.call.dispatch({ type: 'bridge-started' });
    let answer: string | undefined;
    try {
      answer = await caller.reinvite(dialog.remoteSdp);
    } catch (err) {
      this.call.dispatch({ type: 'bridge-failed' });
      const status = err instanceof DialogRequestError ? err.status : undefined;
      const reason = err instanceof DialogRequestError ? err.reason : undefined;
      throw new TransferFailure('media-failed', { status, reason, phase: 'invite', cause: err });
    }
    try {
      await ack?.ack(answer);
    } catch (err) {
      this.call.dispatch({ type: 'bridge-failed' });
      throw new TransferFailure('other', { cause: err });
    }
    this.call.dispatch({ type: 'bridged', to });
  }

  /**
   * return-to-agent when the AI leg is gone: INVITE the agent again (no SDP: the caller's session
   * moves to it as to a human), carrying why, then bridge the caller to it. If it fails the caller
   * has nobody left and the call ends.
   */
  private redialAgent(headers: Readonly<Record<string, string>>): void {
    const { request } = buildAgentInvite({
      callId: this.call.callId,
      conversationId: this.call.conversationId,
      trunk: this.call.trunk,
      invite: this.call.invite,
      agentUri: this.call.agent.uri,
      headerTemplates: this.call.agent.headerTemplates,
    });
    this.call.dispatch({ type: 'agent-redial' });
    const failed = (why: string, err?: unknown): void => {
      this.clearRedialTimer();
      this.call.log.info({ err, why }, 'the AI agent could not be dialled again');
      this.call.dispatch({ type: 'agent-redial-failed' });
    };
    this.redial = this.call.dialer.dial(
      { ...request, headers: { ...request.headers, ...headers }, sdp: undefined },
      {
        onProvisional: () => undefined,
        onAnswered: (dialog, ack) => {
          this.clearRedialTimer();
          this.call.adopt('agent', dialog);
          this.bridge('agent', dialog, ack).then(
            () => this.call.log.info('the caller is back with the AI agent'),
            (err: unknown) => {
              this.call.dispatch({ type: 'release', leg: 'agent' });
              failed('the caller could not be moved back', err);
            },
          );
        },
        onFailed: (failure) => failed(failure.kind === 'rejected' ? `${failure.status}` : failure.detail),
      },
    );
    this.redialTimer = this.call.clock.setTimer(() => {
      this.redialTimer = undefined;
      this.redial?.cancel();
    }, this.call.agent.answerTimeoutMs);
  }

  private clearRedialTimer(): void {
    if (this.redialTimer === undefined) return;
    this.call.clock.clearTimer(this.redialTimer);
    this.redialTimer = undefined;
  }
}

/** The value of X-Transfer-Target among a BYE's headers (names compare ignoring case). */
function targetHeader(headers: ReadonlyArray<readonly [string, string]>): string | undefined {
  return headers.find(([name]) => name.toLowerCase() === 'x-transfer-target')?.[1];
}
