/**
 * The calls in progress: Baton call id → {@link CallSession}. Creates sessions for admitted
 * INVITEs, keeps the active-calls gauge and the call counters, writes each call's record to the
 * store at setup, answer and end, serves the control API ({@link CallsApi}) and tells graceful
 * shutdown when the last call is gone ({@link CallRegistry.whenIdle}).
 */
import { randomUUID } from 'node:crypto';
import type { CallsApi, CallSummary, TransferRequestBody } from '../http/calls-api.js';
import type { TransferService } from '../transfer/transfer-service.js';
import { callLogger, type Logger } from '../observability/logger.js';
import type { CallResult, Metrics } from '../observability/metrics.js';
import type { CallRecord, Store, TransferSessionRecord } from '../store/store-port.js';
import { isValidConversationId } from './agent-invite.js';
import type { AgentRouter } from './agent-routes.js';
import { CallSession, type AgentTarget, type CallObserver } from './call-session.js';
import type { EndCause, HangupRequester } from './call-state.js';
import type { Clock, DialerPort, InboundInvite, PendingInvitePort } from './ports.js';
import { CallRecordWriter } from './record-writer.js';
import type { MediaPort } from '../../media/media-port.js';
import { anchoredDialer } from './media-anchor.js';

export interface CallRegistryOptions {
  dialer: DialerPort;
  /** `aiAgent.uri`: the agent of a call no route takes. */
  agent: AgentTarget;
  /** `aiAgent.routes`: the agent per dialed number or trunk; without it every call goes to `agent`. */
  router?: Pick<AgentRouter, 'select'>;
  clock: Clock;
  /** Root logger; each call gets a child bound to its id and trunk. */
  logger: Logger;
  metrics: Pick<Metrics, 'callsTotal' | 'callsActive' | 'callSetupSeconds'>;
  store: Pick<Store, 'putCall'>;
  /** This instance's id in call records (several instances may share one store). */
  instanceId: string;
  /** Call ids; random UUIDs unless a test fixes them. */
  newId?: () => string;
  /** Transfers; without them REFER gets 501 and the API's transfers 403. */
  transfers?: TransferService;
  /** Whether any transfer target or `allow` pattern is configured. */
  transfersConfigured?: boolean;
  /** The media backend (`media.backend` not none): calls with an SDP offer are anchored through it. */
  media?: MediaPort;
}

export interface NewCall {
  invite: InboundInvite;
  trunk: string | undefined;
  caller: PendingInvitePort;
  /** Frees the admission slot; called once when the call ends. */
  release: () => void;
}

export class CallRegistry implements CallsApi {
  private readonly calls = new Map<string, CallSession>();
  /** Calls not yet settled: ended calls stay here until their last BYE or CANCEL is answered. */
  private readonly unsettled = new Set<CallSession>();
  private readonly releases = new Map<string, () => void>();
  private readonly opts: CallRegistryOptions;
  private readonly newId: () => string;
  private idleWaiters: Array<() => void> = [];
  private readonly observer: CallObserver;
  private readonly records: CallRecordWriter;

  constructor(opts: CallRegistryOptions) {
    this.opts = opts;
    this.newId = opts.newId ?? randomUUID;
    this.records = new CallRecordWriter(opts.store, opts.clock, opts.logger);
    this.observer = {
      onRinging: (call) => this.record(call, {}),
      onAnswered: (call, setupMs) => {
        opts.metrics.callSetupSeconds.observe(setupMs / 1000);
        this.record(call, {});
      },
      onEnded: (call, result, cause) => this.ended(call, result, cause),
    };
  }

  get size(): number {
    return this.calls.size;
  }

  /** Create the session for an admitted INVITE and dial the agent. */
  startCall(call: NewCall): CallSession {
    const id = this.newId();
    const conversationId =
      call.invite.conversationId !== undefined && isValidConversationId(call.invite.conversationId)
        ? call.invite.conversationId
        : this.newId();
    const logger = callLogger(this.opts.logger, { callId: id, trunk: call.trunk });
    const choice = this.opts.router?.select(call);
    if (choice?.route !== undefined)
      logger.debug({ route: choice.route, agentUri: choice.target.uri }, 'agent chosen by aiAgent.routes');
    const session = new CallSession({
      id,
      conversationId,
      trunk: call.trunk,
      invite: call.invite,
      caller: call.caller,
      dialer:
        this.opts.media === undefined
          ? this.opts.dialer
          : anchoredDialer(this.opts.dialer, this.opts.media, id, logger),
      agent: choice?.target ?? this.opts.agent,
      clock: this.opts.clock,
      startedAt: new Date(),
      logger,
      observer: this.observer,
      ...(this.opts.transfers !== undefined && {
        transfers: this.opts.transfers,
        transfersConfigured: this.opts.transfersConfigured ?? false,
      }),
    });
    this.calls.set(id, session);
    this.unsettled.add(session);
    this.releases.set(id, call.release);
    this.opts.metrics.callsActive.inc();
    this.record(session, {});
    void session.settled().then(() => this.settled(session));
    session.start();
    return session;
  }

  list(): readonly CallSummary[] {
    return [...this.calls.values()].map(summarize);
  }

  get(id: string): CallSummary | undefined {
    const call = this.calls.get(id);
    return call === undefined ? undefined : summarize(call);
  }

  async hangup(id: string): Promise<boolean> {
    const call = this.calls.get(id);
    if (call === undefined) return false;
    await call.hangup('operator');
    return true;
  }

  transfer(id: string, body: TransferRequestBody): { transferId: string } | undefined {
    const call = this.calls.get(id);
    if (call === undefined) return undefined;
    return { transferId: call.requestTransfer(body) };
  }

  async getTransfer(id: string): Promise<TransferSessionRecord | undefined> {
    return this.opts.transfers?.get(id);
  }

  /** End every call (shutdown after the drain timeout); resolves when all legs are released. */
  async hangupAll(by: HangupRequester): Promise<void> {
    await Promise.all([...this.calls.values()].map((c) => c.hangup(by)));
  }

  /**
   * Resolves when no call is in progress and every ended call's last BYE or CANCEL has been
   * answered (at once if so already): the point where the SIP connection may close.
   */
  whenIdle(): Promise<void> {
    if (this.unsettled.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private ended(call: CallSession, result: CallResult, cause: EndCause): void {
    if (!this.calls.delete(call.id)) return;
    this.releases.get(call.id)?.();
    this.releases.delete(call.id);
    this.opts.metrics.callsActive.dec();
    this.opts.metrics.callsTotal.inc({ trunk: call.trunk ?? 'unknown', result });
    this.opts.media
      ?.release(call.id)
      .catch((err: unknown) => this.opts.logger.warn({ err, callId: call.id }, 'media not released'));
    this.record(call, { ended: { result, cause, at: new Date() } });
  }

  private settled(call: CallSession): void {
    this.unsettled.delete(call);
    if (this.unsettled.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  private record(
    call: CallSession,
    extra: { ended?: { result: CallResult; cause: EndCause; at: Date } },
  ): void {
    const { invite } = call;
    const base = {
      id: call.id,
      conversationId: call.conversationId,
      trunk: call.trunk ?? null,
      caller: { uri: invite.from.uri, user: invite.from.user || undefined },
      callee: { uri: invite.to.uri, user: invite.to.user || undefined },
      source: formatSource(invite.source.address, invite.source.port),
      instanceId: this.opts.instanceId,
      startedAt: call.startedAt,
      answeredAt: call.answeredAt,
    };
    const record: CallRecord =
      extra.ended !== undefined
        ? {
            ...base,
            state: 'ended',
            result: extra.ended.result,
            endedAt: extra.ended.at,
            endReason: extra.ended.cause,
          }
        : { ...base, state: call.answeredAt !== undefined ? 'answered' : call.ringing ? 'ringing' : 'setup' };
    this.records.put(record);
  }

  /** Write every call record still queued (shutdown). */
  flushRecords(): Promise<void> {
    return this.records.flush();
  }
}

function summarize(call: CallSession): CallSummary {
  return {
    id: call.id,
    trunk: call.trunk ?? null,
    state: call.state.name,
    from: call.invite.from.uri,
    to: call.invite.requestUri,
    startedAt: call.startedAt.toISOString(),
    ...(call.answeredAt !== undefined ? { answeredAt: call.answeredAt.toISOString() } : {}),
  };
}

function formatSource(address: string, port: number): string {
  return address.includes(':') ? `[${address}]:${port}` : `${address}:${port}`;
}
