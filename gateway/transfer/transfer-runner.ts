/**
 * One live transfer session: feeds the pure session machine (`transfer-session-machine.ts`) with
 * what the attempt's strategy, the call's legs and the session's timers report, and carries its
 * effects out: the attempt through its {@link AttemptHandle}, releases through the call
 * ({@link TransferHost}), NOTIFYs and the return to the AI agent through {@link AgentReport}, the
 * fallback prompt through `fallback-prompt.ts`, timers through {@link TransferTimers}, metrics,
 * the store record at every state change, and one log line per step with callId, transferId and
 * mode.
 *
 * Like the call session, events enter through one serialised entry point: a strategy that
 * reports synchronously (a target refused before anything was sent) queues its event, so a
 * transition always completes before the next begins.
 */
import type { MediaPort } from '../../media/media-port.js';
import { CALL_ID_HEADER, CONVERSATION_ID_HEADER } from '../call/agent-invite.js';
import type { EndCause } from '../call/call-state.js';
import type { Clock, Credentials, InboundNotify, RequestReply } from '../call/ports.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store, TransferHistoryEntry, TransferSessionRecord } from '../store/store-port.js';
import { AgentReport } from './agent-report.js';
import { playFallbackPrompt } from './fallback-prompt.js';
import { describeEvent, transferRecord } from './transfer-record.js';
import { initialState, transition } from './transfer-session-machine.js';
import {
  storeState,
  type AttemptTarget,
  type TransferSessionEffect,
  type TransferSessionEvent,
  type TransferSessionState,
} from './transfer-session-state.js';
import type { BuildRequestResult } from './transfer-request.js';
import { TRANSFER_ID_HEADER, type TransferHost, type TransferTimerSettings } from './transfer-host.js';
import { TransferTimers } from './transfer-timers.js';
import {
  refuseNotify,
  type AttemptHandle,
  type CallParties,
  type TransferStrategies,
} from './transfer-strategy.js';
import {
  TransferFailure,
  type ResolvedTarget,
  type TransferOutcome,
  type TransferRequest,
  type TransferTrigger,
} from './transfer-types.js';

export interface TransferRunOptions {
  readonly id: string;
  readonly callId: string;
  readonly conversationId: string;
  readonly trigger: TransferTrigger;
  /** The CSeq of the AI agent's REFER, when a REFER triggered: its NOTIFYs' `id`. */
  readonly referCseq: number | undefined;
  /** The first attempt, rendered. */
  readonly request: TransferRequest;
  /** Renders a fallback target's attempt. */
  readonly render: (target: ResolvedTarget) => BuildRequestResult;
  readonly parties: CallParties;
  /** Credentials for a target's challenges: its trunk's, else the call's. */
  readonly auth: (target: ResolvedTarget) => Credentials | undefined;
  readonly host: TransferHost;
  readonly strategies: TransferStrategies;
  readonly timers: TransferTimerSettings;
  /** `Subscription-State: active;expires=` of the NOTIFYs to the AI leg, in seconds. */
  readonly subscriptionSeconds: number;
  readonly clock: Clock;
  readonly metrics: Pick<
    Metrics,
    'transfersTotal' | 'transferFailuresTotal' | 'transfersActive' | 'transferDurationSeconds'
  >;
  readonly store: Pick<Store, 'putTransferSession'>;
  /** Bound to callId (and trunk); the run adds transferId and mode. */
  readonly logger: Logger;
  /** Called once the session has ended. */
  readonly onFinished?: (run: TransferRun) => void;
  /** Plays the fallback prompt to the caller; without it the prompt is skipped with a log line. */
  readonly media?: MediaPort;
}

export class TransferRun {
  readonly id: string;
  private readonly opts: TransferRunOptions;
  private current: TransferSessionState;
  private request: TransferRequest;
  private handle: AttemptHandle | undefined;
  private readonly timers: TransferTimers;
  private readonly report: AgentReport;
  private readonly queue: TransferSessionEvent[] = [];
  private dispatching = false;
  private log: Logger;
  private readonly startedMs: number;
  private readonly createdAt = new Date();
  private history: TransferHistoryEntry[] = [];
  private failure: TransferFailure | undefined;
  private successStatus: number | undefined;
  private writes: Promise<void> = Promise.resolve();
  /** The first attempt could not be rendered: it fails as soon as it starts. */
  private firstFailure: TransferFailure | undefined;

  constructor(opts: TransferRunOptions) {
    this.opts = opts;
    this.id = opts.id;
    this.request = opts.request;
    this.current = initialState(opts.request.target, { trigger: opts.trigger });
    this.startedMs = opts.clock.now();
    this.log = this.logger(opts.request.target);
    this.timers = new TransferTimers(opts.clock, opts.timers, (event) => this.dispatch(event));
    this.report = new AgentReport(opts.host, opts.referCseq, opts.subscriptionSeconds);
  }

  get state(): TransferSessionState {
    return this.current;
  }

  get ended(): boolean {
    return this.current.name === 'ended';
  }

  /** The session as the store keeps it. */
  get record(): TransferSessionRecord {
    return transferRecord({
      id: this.id,
      callId: this.opts.callId,
      target: this.request.target.name,
      mode: this.request.target.mode,
      state: this.current,
      failure: this.failure,
      successStatus: this.successStatus,
      vars: this.request.vars,
      history: this.history,
      createdAt: this.createdAt,
      updatedAt: this.history.at(-1)?.at ?? this.createdAt,
    });
  }

  /** Send the first attempt. Call once, right after construction. */
  start(): void {
    this.opts.metrics.transfersActive.inc();
    this.log.info(
      {
        trigger: this.opts.trigger,
        target: this.request.target.name,
        uri: this.request.target.requestUri,
        uui: this.request.uui?.value,
      },
      'transfer started',
    );
    this.append('pending', `requested by ${this.opts.trigger}`);
    this.dispatch({ type: 'start' });
  }

  /** A leg of the call went away, or the transfer is withdrawn. */
  event(
    event: Extract<
      TransferSessionEvent,
      { type: 'caller-hungup' | 'agent-hungup' | 'human-hungup' | 'cancel' }
    >,
  ): void {
    this.dispatch(event);
  }

  /** A NOTIFY on the caller's leg: the current attempt's REFER subscription, if it has one. */
  onCallerNotify(notify: InboundNotify, reply: RequestReply): void {
    if (this.handle === undefined || this.ended) refuseNotify(reply);
    else this.handle.onCallerNotify(notify, reply);
  }

  /** The first attempt cannot be sent (its headers could not be rendered): fail it on start. */
  failFirst(failure: TransferFailure): void {
    this.firstFailure = failure;
  }

  /** Resolves once every record write so far has been taken by the store. */
  flushed(): Promise<void> {
    return this.writes;
  }

  private dispatch(event: TransferSessionEvent): void {
    this.queue.push(event);
    if (this.dispatching) return;
    this.dispatching = true;
    try {
      for (let next = this.queue.shift(); next !== undefined; next = this.queue.shift()) this.step(next);
    } finally {
      this.dispatching = false;
    }
  }

  private step(event: TransferSessionEvent): void {
    const from = this.current;
    const t = transition(from, event, { trigger: this.opts.trigger });
    if (t.rejected !== undefined) {
      this.log.debug({ state: from.name, event: event.type, why: t.rejected }, 'transfer event refused');
    }
    this.current = t.state;
    if (event.type === 'answered') this.successStatus = event.status;
    for (const effect of t.effects) {
      try {
        this.run(effect, t.state);
      } catch (err) {
        this.log.error({ err, effect: effect.type }, 'transfer effect failed');
      }
    }
    if (t.rejected !== undefined) return;
    const attemptChanged = 'attempt' in from && 'attempt' in t.state && from.attempt !== t.state.attempt;
    if (from.name !== t.state.name || attemptChanged) {
      this.log.info({ from: from.name, event: event.type, to: t.state.name }, 'transfer state');
      this.append(storeState(t.state), describeEvent(event));
      if (t.state.name === 'ended') this.opts.onFinished?.(this);
      if (t.state.name === 'post_agent') this.report.handBack(true);
    }
  }

  private run(effect: TransferSessionEffect, next: TransferSessionState): void {
    switch (effect.type) {
      case 'start-attempt':
        this.startAttempt(effect.target, effect.attempt);
        return;
      case 'start-timer':
        this.timers.start(effect.timer);
        return;
      case 'clear-timer':
        this.timers.clear(effect.timer);
        return;
      case 'notify-referrer':
        this.report.notify(effect.status, effect.reason);
        return;
      case 'caller-progress':
        // A provisional cannot follow the caller's 200 (RFC 3261 §13.3.1.1), and without a media
        // layer Baton has no ringback to play: the caller keeps hearing the AI agent meanwhile.
        this.log.debug({ status: effect.status }, 'target progress not relayed: the caller is answered');
        return;
      case 'cancel-target':
        this.handle?.cancel();
        return;
      case 'bridge':
        this.handle?.bridge();
        return;
      case 'release':
        this.opts.host.release(effect.leg, releaseCause(next, this.request.target.mode));
        return;
      case 'play-prompt':
        playFallbackPrompt(effect.prompt, {
          media: this.opts.media,
          callId: this.opts.callId,
          log: this.log,
          ended: () => this.ended,
          playing: (durationMs) => this.timers.startPrompt(durationMs),
          done: () => this.dispatch({ type: 'prompt-done' }),
        });
        return;
      case 'return-to-agent':
        this.report.returnToAgent(effect.resume, effect.node, effect.failure, this.log);
        return;
      case 'attempt-settled':
        this.opts.metrics.transferDurationSeconds.observe(
          { mode: effect.mode },
          (this.opts.clock.now() - this.startedMs) / 1000,
        );
        return;
      case 'count-failure':
        this.failure = effect.failure;
        this.opts.metrics.transferFailuresTotal.inc(effect.failure.metricLabel);
        this.log.info(
          { reason: effect.failure.code, status: effect.failure.sipStatus, phase: effect.failure.phase },
          'transfer attempt failed',
        );
        return;
      case 'finish':
        this.finish(effect.outcome);
        return;
      default: {
        const unknown: never = effect;
        throw new Error(`unhandled transfer effect ${JSON.stringify(unknown)}`);
      }
    }
  }

  private startAttempt(target: AttemptTarget, attempt: number): void {
    if (attempt === 1 && this.firstFailure !== undefined) {
      this.dispatch({ type: 'failed', failure: this.firstFailure });
      return;
    }
    if (attempt > 1) {
      if (!isResolved(target)) {
        this.dispatch({ type: 'failed', failure: internalFailure('fallback target not resolved') });
        return;
      }
      const built = this.opts.render(target);
      if (!built.ok) {
        this.request = { ...this.request, target };
        this.log = this.logger(target);
        this.dispatch({ type: 'failed', failure: built.failure });
        return;
      }
      this.request = built.request;
      this.log = this.logger(target);
    }
    for (const s of this.request.skipped)
      this.log.warn({ header: s.name, reason: s.reason }, 'transfer header left out');
    this.log.info({ attempt, target: target.name, uri: this.request.target.requestUri }, 'transfer attempt');
    this.handle = this.opts.strategies[this.request.target.mode].start({
      request: this.request,
      call: this.opts.host,
      parties: this.opts.parties,
      auth: this.opts.auth(this.request.target),
      contextHeaders: {
        [CALL_ID_HEADER]: this.opts.callId,
        [CONVERSATION_ID_HEADER]: this.opts.conversationId,
        [TRANSFER_ID_HEADER]: this.id,
      },
      report: (event) => this.dispatch(event),
      log: this.log,
    });
  }

  private finish(outcome: TransferOutcome): void {
    this.timers.clearAll();
    this.opts.metrics.transfersTotal.inc({ mode: outcome.mode, result: outcome.outcome });
    this.opts.metrics.transfersActive.dec();
    this.log.info(
      {
        outcome: outcome.outcome,
        ...(outcome.outcome === 'failed' && { reason: outcome.failure.code, fallback: outcome.fallback }),
        durationMs: this.opts.clock.now() - this.startedMs,
      },
      'transfer ended',
    );
    this.report.handBack(outcome.outcome === 'completed');
  }

  private append(state: TransferHistoryEntry['state'], detail: string): void {
    this.history = [...this.history, { state, at: new Date(), detail }];
    const record = this.record;
    this.writes = this.writes
      .then(() => this.opts.store.putTransferSession(record))
      .catch((err: unknown) => this.log.warn({ err }, 'transfer session not stored'));
  }

  private logger(target: ResolvedTarget): Logger {
    return this.opts.logger.child({ transferId: this.id, mode: target.mode });
  }
}

/** Why the caller's leg is released, for the call's end cause. */
function releaseCause(next: TransferSessionState, mode: ResolvedTarget['mode']): EndCause {
  if (next.name !== 'ended') return 'transferred';
  if (next.outcome.outcome !== 'completed') return 'transfer-failed';
  return mode === 'refer' || mode === 'ivr' ? 'transferred' : 'human-hangup';
}

/** The machine sees targets as {@link AttemptTarget}; every one the resolver built is a {@link ResolvedTarget}. */
function isResolved(target: AttemptTarget): target is ResolvedTarget {
  return 'kind' in target && 'headers' in target && 'source' in target;
}

function internalFailure(message: string): TransferFailure {
  return new TransferFailure('internal', { cause: new Error(message) });
}
