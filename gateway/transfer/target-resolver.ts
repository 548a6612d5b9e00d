/**
 * From what the AI agent named to a {@link ResolvedTarget}: a configured target (by name, or as the
 * user part of a Refer-To at Baton's own host), or a number / URI that `transfer.allow` admits,
 * with the trigger's per-call overrides merged over its settings and the merged settings validated
 * by the configuration's own schema. Anything else is refused before a single packet leaves
 * (403 {@link TargetNotAllowedError}, 400 {@link InvalidTransferRequestError}). Pure: built once
 * at start from the frozen configuration.
 */
import type { TransferConfig, TrunkConfig } from '../../config/schema.js';
import {
  adhocSchema,
  isE164,
  targetSchema,
  type FallbackConfig,
  type TargetOverride,
  type UuiConfig,
} from '../../config/schema/transfer-target.js';
import { formatPath } from '../../config/config-error.js';
import { TemplateError } from '../call/template.js';
import { AllowList, formatSipUri, readNamedTarget, type NamedTarget } from './allow-patterns.js';
import { mergeHeaders } from './header-rules.js';
import {
  compileTransferTemplate,
  compileTransferTemplates,
  type TransferTemplate,
} from './transfer-template.js';
import { InvalidTransferRequestError, TargetNotAllowedError } from './transfer-errors.js';
import { readTriggerInput } from './trigger-input.js';
import {
  transferMode,
  type FallbackPlan,
  type ResolvedTarget,
  type TargetKind,
  type TransferMethod,
  type UuiPlan,
} from './transfer-types.js';

/**
 * A target's settings as the schema gives them: a configured target, or `adhoc` given kind
 * external and no tags (it has no kind, destination or tags of its own).
 */
interface TargetSettings {
  readonly kind: TargetKind;
  readonly method: TransferMethod;
  readonly destination?: string | undefined;
  readonly trunk?: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly tags: Readonly<Record<string, string>>;
  readonly headersInReferTo: boolean;
  readonly uui?: UuiConfig | undefined;
  readonly fallback: FallbackConfig;
  readonly onHumanHangup: 'hangup' | 'return-to-agent';
}

export interface ResolveInput {
  /** The Refer-To value (REFER), `X-Transfer-Target` (BYE) or the body's `target` (API). */
  readonly target: string;
  /** The trigger's headers (REFER or BYE): X-headers become vars and overrides. */
  readonly headers?: ReadonlyArray<readonly [string, string]>;
  /** The API body's `vars` and `overrides`, as received. */
  readonly vars?: unknown;
  readonly overrides?: unknown;
}

export interface ResolvedTransfer {
  readonly target: ResolvedTarget;
  /** Values for `{{vars.*}}`, names lower case. */
  readonly vars: Readonly<Record<string, string>>;
  /** The `allow` pattern that admitted a number or URI, for the log line. */
  readonly allowedBy: string | undefined;
}

/** Where a target sits in its fallback chain. */
interface ChainStep {
  /** 1 for the target named, +1 down each fallback. */
  readonly attempt: number;
  readonly visited: ReadonlySet<string>;
  /** The trigger's fallback node (X-Transfer-Fallback-Node, overrides.fallback.node). */
  readonly node: string | undefined;
}

export interface ResolverOptions {
  /** Whether a host is Baton's own (its SIP domain or an address it listens on). */
  readonly isLocalHost: (host: string) => boolean;
}

export class TargetResolver {
  readonly #config: TransferConfig;
  readonly #trunks: ReadonlyMap<string, TrunkConfig>;
  readonly #allow: AllowList;
  readonly #isLocalHost: (host: string) => boolean;

  /**
   * @throws TemplateError listing every configured template that does not compile, so a typo
   *   stops the gateway at start instead of breaking transfers one by one
   */
  constructor(config: TransferConfig, trunks: readonly TrunkConfig[], options: ResolverOptions) {
    this.#config = config;
    this.#trunks = new Map(trunks.map((t) => [t.name, t]));
    this.#allow = new AllowList(config.allow);
    this.#isLocalHost = options.isLocalHost;
    const problems: string[] = [];
    const check = (
      where: string,
      settings: { headers: Readonly<Record<string, string>>; uui?: { data: string } | undefined },
    ): void => {
      collect(problems, () => compileTransferTemplates(settings.headers, `${where}.headers`));
      if (settings.uui !== undefined) {
        const r = compileTransferTemplate(settings.uui.data);
        if (!r.ok) problems.push(`${where}.uui.data: ${r.reason}`);
      }
    };
    check('transfer.adhoc', config.adhoc);
    for (const [name, t] of Object.entries(config.targets)) {
      check(`transfer.targets.${name}`, t);
      collect(problems, () => compileTransferTemplates(t.tags, `transfer.targets.${name}.tags`));
    }
    if (problems.length > 0) throw new TemplateError(problems);
  }

  /**
   * @throws TargetNotAllowedError when the target is neither configured nor admitted by `allow`
   * @throws InvalidTransferRequestError when the target, vars or overrides do not validate
   */
  resolve(input: ResolveInput): ResolvedTransfer {
    const read = readNamedTarget(input.target, this.#isLocalHost);
    if (!read.ok) throw new InvalidTransferRequestError([`target: ${read.reason}`]);
    const named = read.value.target;
    let settings: TargetSettings;
    let name: string;
    let requestUri: string | undefined;
    let allowedBy: string | undefined;
    if (named.kind === 'name') {
      const configured = Object.hasOwn(this.#config.targets, named.name)
        ? this.#config.targets[named.name]
        : undefined;
      if (configured === undefined) throw new TargetNotAllowedError(input.target);
      settings = configured;
      name = named.name;
    } else {
      allowedBy = this.#allow.match(named);
      if (allowedBy === undefined) throw new TargetNotAllowedError(input.target);
      settings = { ...this.#config.adhoc, kind: 'external', tags: {} };
      name = named.kind === 'number' ? named.number : formatSipUri(named.uri);
      requestUri = this.#adhocUri(named);
    }
    const trigger = readTriggerInput([...(input.headers ?? []), ...read.value.embeddedHeaders], input);
    if (!trigger.ok) throw new InvalidTransferRequestError(trigger.problems);
    const { overrides } = trigger.value;
    const merged = this.#applyOverrides(name, settings, overrides, named.kind !== 'name');
    const target = this.#build(name, merged, named.kind === 'name' ? 'configured' : 'allowed', requestUri, {
      attempt: 1,
      visited: new Set([name]),
      node: overrides.fallback?.node,
    });
    return { target, vars: trigger.value.vars, allowedBy };
  }

  /** Overrides merged over the settings, then validated by the schema the file went through. */
  #applyOverrides(name: string, settings: TargetSettings, o: TargetOverride, adhoc: boolean): TargetSettings {
    if (Object.keys(o).length === 0) return settings;
    const problems: string[] = [];
    const headers = o.headers === undefined ? settings.headers : mergeRecord(settings.headers, o.headers);
    const uui = o.uui === undefined ? settings.uui : { ...settings.uui, ...o.uui };
    // A node from the trigger is where the agent resumes whenever this transfer returns the caller
    // (see #fallbackPlan), so it is not merged into one target's fallback here.
    const { node: _node, ...fallbackOverride } = o.fallback ?? {};
    const fallback = mergeFallback(settings.fallback, fallbackOverride);
    if (fallback.target === name)
      problems.push('overrides.fallback.target: a target cannot fall back to itself');
    if (fallback.target !== undefined && !Object.hasOwn(this.#config.targets, fallback.target)) {
      problems.push(`overrides.fallback.target: '${fallback.target}' is not a configured target`);
    }
    const candidate = {
      ...settings,
      method: o.method ?? settings.method,
      headers,
      headersInReferTo: o.headersInReferTo ?? settings.headersInReferTo,
      ...(uui !== undefined && { uui }),
      fallback,
    };
    const parsed = adhoc
      ? adhocSchema.safeParse(withoutTargetOnly(candidate))
      : targetSchema.safeParse(candidate);
    if (!parsed.success) {
      for (const issue of parsed.error.issues)
        problems.push(`overrides.${formatPath(issue.path)}: ${issue.message}`);
    }
    if (problems.length > 0 || !parsed.success) throw new InvalidTransferRequestError(problems);
    return { ...settings, ...parsed.data };
  }

  #build(
    name: string,
    s: TargetSettings,
    source: ResolvedTarget['source'],
    adhocUri: string | undefined,
    step: ChainStep,
  ): ResolvedTarget {
    return {
      name,
      source,
      kind: s.kind,
      method: s.method,
      mode: transferMode(s.kind, s.method),
      requestUri: adhocUri ?? this.#destinationUri(s),
      trunk: s.trunk,
      headers: compileOrThrow(s.headers),
      tags: compileOrThrow(s.tags),
      headersInReferTo: s.headersInReferTo,
      uui: s.uui === undefined ? undefined : uuiPlan(s.uui),
      fallback: this.#fallbackPlan(s.fallback, step),
      onHumanHangup: s.onHumanHangup,
    };
  }

  /**
   * The fallback with its target resolved, down the chain. The chain stops at `maxAttempts`
   * targets, or where it would come back to a target already tried (config forbids cycles; a
   * per-call override could still make one): the caller then returns to the AI agent. A node
   * the trigger named wins over the configured one wherever the caller returns.
   */
  #fallbackPlan(f: FallbackConfig, step: ChainStep): FallbackPlan<ResolvedTarget> {
    const prompt = f.prompt === undefined ? {} : { prompt: f.prompt };
    if (f.action === 'hangup') return { action: 'hangup', ...prompt };
    if (f.action === 'target' && f.target !== undefined) {
      const next = Object.hasOwn(this.#config.targets, f.target) ? this.#config.targets[f.target] : undefined;
      if (next !== undefined && step.attempt < this.#config.maxAttempts && !step.visited.has(f.target)) {
        return {
          action: 'target',
          ...prompt,
          next: this.#build(f.target, next, 'configured', undefined, {
            attempt: step.attempt + 1,
            visited: new Set([...step.visited, f.target]),
            node: step.node,
          }),
        };
      }
    }
    const node = step.node ?? (f.action === 'return-to-agent' ? f.node : undefined);
    return { action: 'return-to-agent', ...prompt, ...(node !== undefined && { node }) };
  }

  #destinationUri(s: TargetSettings): string | undefined {
    if (s.destination === undefined) return undefined;
    if (!isE164(s.destination)) return s.destination;
    return numberUri(s.destination, this.#trunkUri(s.trunk));
  }

  #adhocUri(named: Exclude<NamedTarget, { kind: 'name' }>): string {
    if (named.kind === 'uri') return formatSipUri(named.uri);
    return numberUri(named.number, this.#trunkUri(this.#config.adhoc.trunk));
  }

  #trunkUri(trunk: string | undefined): string {
    const uri = trunk === undefined ? undefined : this.#trunks.get(trunk)?.outbound?.uri;
    // The schema requires a trunk with an outbound URI wherever numbers are sent.
    if (uri === undefined)
      throw new InvalidTransferRequestError([`no trunk with an outbound.uri to send numbers through`]);
    return uri;
  }
}

/**
 * `sip:+14155550100@gw.carrier.example;transport=udp;user=phone`: the number at the trunk's
 * outbound host, with the trunk URI's parameters; `user=phone` marks a global number (RFC 3261
 * §19.1.6), which a national one is not.
 */
export function numberUri(number: string, trunkUri: string): string {
  const colon = trunkUri.indexOf(':');
  const scheme = trunkUri.slice(0, colon);
  const afterScheme = trunkUri.slice(colon + 1).split('?')[0] ?? '';
  const hostpart = afterScheme.slice(afterScheme.indexOf('@') + 1);
  const global = number.startsWith('+');
  const hasUserParam = /;user=/i.test(hostpart);
  return `${scheme}:${number}@${hostpart}${global && !hasUserParam ? ';user=phone' : ''}`;
}

function uuiPlan(u: UuiConfig): UuiPlan {
  return {
    data: compileOne(u.data),
    encoding: u.encoding,
    maxOctets: u.maxOctets,
    placement: u.placement,
    headerName: u.headerName,
    ...(u.purpose !== undefined && { purpose: u.purpose }),
    ...(u.content !== undefined && { content: u.content }),
    ...(u.protocolDiscriminator !== undefined && { protocolDiscriminator: u.protocolDiscriminator }),
  };
}

function mergeFallback(base: FallbackConfig, o: TargetOverride['fallback']): FallbackConfig {
  if (o === undefined) return base;
  // A new action replaces the old one's details (a configured target is no fallback for hangup).
  if (o.action !== undefined && o.action !== base.action) {
    return {
      ...(base.prompt !== undefined && { prompt: base.prompt }),
      action: o.action,
      ...stripUndefined(o),
    };
  }
  return { ...base, ...stripUndefined(o) };
}

/** `adhoc` settings as the adhoc schema takes them: no kind, destination or tags. */
function withoutTargetOnly<T extends { kind?: unknown; destination?: unknown; tags?: unknown }>(
  settings: T,
): Omit<T, 'kind' | 'destination' | 'tags'> {
  const { kind: _kind, destination: _destination, tags: _tags, ...rest } = settings;
  return rest;
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

function mergeRecord(
  base: Readonly<Record<string, string>>,
  over: Readonly<Record<string, string>>,
): Record<string, string> {
  return Object.fromEntries(mergeHeaders(Object.entries(base), Object.entries(over)));
}

function compileOrThrow(
  templates: Readonly<Record<string, string>>,
): ReadonlyArray<readonly [string, TransferTemplate]> {
  try {
    return compileTransferTemplates(templates, 'overrides.headers');
  } catch (err) {
    if (err instanceof TemplateError) throw new InvalidTransferRequestError(err.problems);
    throw err;
  }
}

function compileOne(source: string): TransferTemplate {
  const r = compileTransferTemplate(source);
  if (!r.ok) throw new InvalidTransferRequestError([`overrides.uui.data: ${r.reason}`]);
  return r.value;
}

function collect(problems: string[], fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof TemplateError)) throw err;
    problems.push(...err.problems);
  }
}
