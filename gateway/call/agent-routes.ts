/**
 * Which AI agent a new call goes to (`aiAgent.routes`): the routes in configured order, the first
 * whose trunk and dialed-number pattern both match wins (an absent condition matches anything),
 * and a call no route takes goes to `aiAgent.uri`. Routes are compiled once at start, so a bad
 * header template stops the gateway instead of failing calls. Pure.
 *
 * The dialed number is the user part of the Request-URI: the target as it reached Baton after any
 * retargeting upstream (RFC 3261 §8.1.1.1, §16.5), which To does not follow. To's user is used
 * only when the Request-URI has none (e.g. `sip:baton.example`).
 */
import type { AgentTarget } from './call-session.js';
import type { InboundInvite } from './ports.js';
import { compileHeaderTemplates, type HeaderTemplates } from './template.js';

/** One entry of `aiAgent.routes`, as validated by the config schema. */
export interface AgentRouteConfig {
  readonly trunk?: string;
  /** Pattern on the dialed user part; `*` stands for any run of characters (none included). */
  readonly dialed?: string;
  readonly uri: string;
  readonly headers?: Readonly<Record<string, string>>;
}

/** What a route is matched against. */
export interface RouteInput {
  /** The configured trunk the call came in on. */
  readonly trunk: string | undefined;
  readonly invite: Pick<InboundInvite, 'requestUri' | 'to'>;
}

export interface RouteChoice {
  readonly target: AgentTarget;
  /** Index in `aiAgent.routes` of the route that took the call; undefined for `aiAgent.uri`. */
  readonly route: number | undefined;
}

interface CompiledRoute {
  readonly trunk: string | undefined;
  readonly dialed: RegExp | undefined;
  readonly target: AgentTarget;
}

export class AgentRouter {
  private readonly fallback: AgentTarget;
  private readonly routes: readonly CompiledRoute[];

  /**
   * @param fallback `aiAgent.uri` with `aiAgent.headers` compiled, and the shared timeout and
   *   failure answer every route inherits
   * @param routes `aiAgent.routes`
   * @throws TemplateError naming `aiAgent.routes[i].headers.<name>` when a template does not compile
   */
  constructor(fallback: AgentTarget, routes: readonly AgentRouteConfig[]) {
    this.fallback = fallback;
    this.routes = routes.map((route, i) => ({
      trunk: route.trunk,
      dialed: route.dialed === undefined ? undefined : dialedPattern(route.dialed),
      target: {
        ...fallback,
        uri: route.uri,
        headerTemplates: mergeHeaderTemplates(
          fallback.headerTemplates,
          compileHeaderTemplates(route.headers ?? {}, `aiAgent.routes[${i}].headers`),
        ),
      },
    }));
  }

  select(input: RouteInput): RouteChoice {
    let dialed: string | undefined;
    for (const [i, route] of this.routes.entries()) {
      if (route.trunk !== undefined && route.trunk !== input.trunk) continue;
      if (route.dialed !== undefined) {
        dialed ??= dialedUser(input.invite);
        if (!route.dialed.test(dialed)) continue;
      }
      return { target: route.target, route: i };
    }
    return { target: this.fallback, route: undefined };
  }
}

/**
 * The number (or name) a call was placed to: the Request-URI's user part, else To's. Escapes are
 * decoded (RFC 3261 §19.1.4 compares user parts unescaped) and telephone-subscriber parameters
 * after `;` (`+4930123;npdi`, RFC 3261 §19.1.6) dropped. '' when there is none.
 */
export function dialedUser(invite: Pick<InboundInvite, 'requestUri' | 'to'>): string {
  const fromRequestUri = uriUser(invite.requestUri);
  return fromRequestUri !== '' ? fromRequestUri : uriUser(invite.to.uri);
}

/** User part of a `sip:`, `sips:` or `tel:` URI, unescaped, without its parameters. */
export function uriUser(uri: string): string {
  const colon = uri.indexOf(':');
  if (colon < 0) return '';
  const scheme = uri.slice(0, colon).trim().toLowerCase();
  let rest = uri.slice(colon + 1);
  if (scheme === 'tel') return unescape(beforeAny(rest, ';?'));
  if (scheme !== 'sip' && scheme !== 'sips') return '';
  rest = beforeAny(rest, '?');
  const at = rest.lastIndexOf('@');
  if (at < 0) return '';
  // `user:password@` (RFC 3261 §19.1.1): the password is no part of the number.
  return unescape(beforeAny(rest.slice(0, at), ';:'));
}

function beforeAny(text: string, stops: string): string {
  let end = text.length;
  for (const c of stops) {
    const i = text.indexOf(c);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}

function unescape(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    // A malformed escape is compared as written: it matches only a pattern written the same way.
    return text;
  }
}

/** `+4930*` → /^\+4930.*$/s: `*` is any run of characters, everything else literal. */
function dialedPattern(pattern: string): RegExp {
  const body = pattern
    .split('*')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(`^${body}$`, 's');
}

/**
 * `aiAgent.headers` with a route's headers on top: a route header replaces the shared one of the
 * same name (header names compare case-insensitively, RFC 3261 §7.3.1), the rest is kept.
 */
function mergeHeaderTemplates(shared: HeaderTemplates, own: HeaderTemplates): HeaderTemplates {
  const replaced = new Set(own.map(([name]) => name.toLowerCase()));
  return [...shared.filter(([name]) => !replaced.has(name.toLowerCase())), ...own];
}
