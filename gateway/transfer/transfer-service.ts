/**
 * The gateway's transfers, built once from the configuration: resolves what a trigger names
 * (refusing what is neither configured nor allowed), renders the attempt, and creates the
 * {@link TransferRun} for a call; keeps the live sessions for the control API and counts the
 * refusals. The call layer asks it through {@link TransferService.begin}; it never touches SIP.
 */
import { randomUUID } from 'node:crypto';
import type { TransferConfig, TrunkConfig } from '../../config/schema.js';
import type { TemplateValues } from '../call/template.js';
import type { Clock, Credentials } from '../call/ports.js';
import type { MediaPort } from '../../media/media-port.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { Store, TransferSessionRecord } from '../store/store-port.js';
import { TargetResolver, type ResolveInput } from './target-resolver.js';
import { buildTransferRequest } from './transfer-request.js';
import type { TransferHost } from './transfer-host.js';
import { TransferRun } from './transfer-runner.js';
import type { CallParties, TransferStrategies } from './transfer-strategy.js';
import type { TransferRequestError } from './transfer-errors.js';
import type { ResolvedTarget, TransferTrigger } from './transfer-types.js';

export interface TransferServiceOptions {
  readonly config: TransferConfig;
  readonly trunks: readonly TrunkConfig[];
  /** Whether a host is Baton's own (Refer-To `sip:<target>@<baton>`). */
  readonly isLocalHost: (host: string) => boolean;
  readonly strategies: TransferStrategies;
  readonly clock: Clock;
  readonly metrics: Pick<
    Metrics,
    'transfersTotal' | 'transferFailuresTotal' | 'transfersActive' | 'transferDurationSeconds'
  >;
  readonly store: Pick<Store, 'putTransferSession' | 'getTransferSession'>;
  /** Session ids; random UUIDs unless a test fixes them. */
  readonly newId?: () => string;
  /** Plays the fallback prompts; without it they are skipped with a log line. */
  readonly media?: MediaPort;
}

/** What a call hands over to start a transfer. */
export interface BeginTransfer {
  readonly callId: string;
  readonly conversationId: string;
  /** The call's inbound trunk: its outbound credentials answer challenges when the target names none. */
  readonly trunk: string | undefined;
  readonly trigger: TransferTrigger;
  readonly input: ResolveInput;
  /** The CSeq of the AI agent's REFER (REFER trigger). */
  readonly referCseq: number | undefined;
  readonly values: TemplateValues;
  readonly parties: CallParties;
  readonly host: TransferHost;
  /** The call's logger (callId, trunk bound). */
  readonly logger: Logger;
}

export class TransferService {
  private readonly opts: TransferServiceOptions;
  private readonly resolver: TargetResolver;
  private readonly trunks: ReadonlyMap<string, TrunkConfig>;
  private readonly newId: () => string;
  private readonly live = new Map<string, TransferRun>();

  /** @throws TemplateError when a configured template does not compile (at start, not per call) */
  constructor(opts: TransferServiceOptions) {
    this.opts = opts;
    this.resolver = new TargetResolver(opts.config, opts.trunks, { isLocalHost: opts.isLocalHost });
    this.trunks = new Map(opts.trunks.map((t) => [t.name, t]));
    this.newId = opts.newId ?? randomUUID;
  }

  /**
   * Resolve the trigger, render the first attempt and create its session (not yet started: the
   * caller answers the trigger first, then calls `start()`).
   * @throws TransferRequestError (403 target not allowed, 400 invalid), already counted
   */
  begin(args: BeginTransfer): TransferRun {
    let resolved;
    try {
      resolved = this.resolver.resolve(args.input);
    } catch (err) {
      this.countRefusal(err as TransferRequestError);
      throw err;
    }
    if (resolved.allowedBy !== undefined) {
      args.logger.info(
        { target: resolved.target.name, allowedBy: resolved.allowedBy },
        'transfer target allowed',
      );
    }
    const render = (target: ResolvedTarget) =>
      buildTransferRequest(target, { trigger: args.trigger, call: args.values, vars: resolved.vars });
    const first = render(resolved.target);
    const id = this.newId();
    const config = this.opts.config;
    const run = new TransferRun({
      id,
      callId: args.callId,
      conversationId: args.conversationId,
      trigger: args.trigger,
      referCseq: args.referCseq,
      // A first attempt that cannot be rendered still becomes a session: it fails and falls back.
      request: first.ok
        ? first.request
        : {
            trigger: args.trigger,
            target: resolved.target,
            headers: [],
            referTo: undefined,
            uui: undefined,
            vars: resolved.vars,
            skipped: [],
          },
      render,
      parties: args.parties,
      auth: (target) => this.credentials(target.trunk ?? args.trunk),
      host: args.host,
      strategies: this.opts.strategies,
      timers: config,
      // The subscription lives as long as the transfer may take: every attempt ringing its longest.
      subscriptionSeconds: Math.ceil(
        (Math.max(config.ringTimeoutMs, config.notifyTimeoutMs) * config.maxAttempts) / 1000,
      ),
      clock: this.opts.clock,
      metrics: this.opts.metrics,
      store: this.opts.store,
      logger: args.logger,
      onFinished: (ended) => this.forget(ended),
      ...(this.opts.media !== undefined && { media: this.opts.media }),
    });
    this.live.set(id, run);
    if (!first.ok) run.failFirst(first.failure);
    return run;
  }

  /** The session's record: live from memory, else from the store. */
  async get(id: string): Promise<TransferSessionRecord | undefined> {
    const run = this.live.get(id);
    if (run !== undefined) return run.record;
    return this.opts.store.getTransferSession(id);
  }

  /** Forget an ended session once its record is stored (the store answers for it from then on). */
  private forget(run: TransferRun): void {
    void run.flushed().then(() => this.live.delete(run.id));
  }

  private countRefusal(err: TransferRequestError): void {
    if (typeof err !== 'object' || err === null || !('failureReason' in err)) return;
    this.opts.metrics.transferFailuresTotal.inc({ reason: err.failureReason, status: err.sipStatus });
  }

  private credentials(trunk: string | undefined): Credentials | undefined {
    const outbound = trunk === undefined ? undefined : this.trunks.get(trunk)?.outbound;
    if (outbound?.username === undefined || outbound.password === undefined) return undefined;
    return { username: outbound.username, password: outbound.password };
  }
}
