/**
 * Which connected apps asked for which requests (`route|<verb>`), and round-robin selection
 * among them (wire-protocol reference §1.7; drachtio-server's
 * `selectClientForRequestOutsideDialog`). Pure bookkeeping: no sockets.
 *
 * Differences from drachtio-server, both deliberate:
 * - Routes are a set per client. srf re-sends every verb it knows each time a new one is added
 *   (its `routeVerbs` never marks a verb as sent), and drachtio-server's multimap then lists
 *   the same client several times for one verb, skewing its round-robin. Here a repeated
 *   `route` is a no-op.
 * - `remove_route|<verb>` removes only that verb. drachtio-server removes every verb of the
 *   client (`no_longer_wants_requests` ignores the verb), but srf's `unregisterForMessages`
 *   keeps believing the other verbs are routed, so the quirk would silently stop e.g. INVITEs
 *   to an app that only unregistered OPTIONS. srf does not rely on it.
 */
import type { AppClient, AppRouter, CdrKind } from './sip-core-port.js';

interface VerbRoute {
  clients: AppClient[];
  /** Index of the client to try first next time. */
  next: number;
}

export class ClientRegistry implements AppRouter {
  readonly #byVerb = new Map<string, VerbRoute>();
  readonly #verbsOf = new Map<AppClient, Set<string>>();

  /** Record that `client` wants new requests for `verb` (case-insensitive). Idempotent. */
  route(client: AppClient, verb: string): void {
    const key = verb.toLowerCase();
    let verbs = this.#verbsOf.get(client);
    if (verbs === undefined) {
      verbs = new Set();
      this.#verbsOf.set(client, verbs);
    }
    if (verbs.has(key)) return;
    verbs.add(key);
    const entry = this.#byVerb.get(key);
    if (entry === undefined) this.#byVerb.set(key, { clients: [client], next: 0 });
    else entry.clients.push(client);
  }

  /** Stop routing `verb` to `client`. Returns false when it was not routed. */
  removeRoute(client: AppClient, verb: string): boolean {
    const key = verb.toLowerCase();
    const verbs = this.#verbsOf.get(client);
    if (verbs === undefined || !verbs.delete(key)) return false;
    if (verbs.size === 0) this.#verbsOf.delete(client);
    this.#detach(client, key);
    return true;
  }

  /** Forget every route of `client` (it disconnected). */
  removeClient(client: AppClient): void {
    const verbs = this.#verbsOf.get(client);
    if (verbs === undefined) return;
    this.#verbsOf.delete(client);
    for (const verb of verbs) this.#detach(client, verb);
  }

  /**
   * Round-robin among the apps that routed `verb`. With `tag`, only apps that declared that tag
   * when authenticating are eligible; the rotation still advances past the chosen one.
   */
  pickClient(verb: string, tag?: string): AppClient | undefined {
    const entry = this.#byVerb.get(verb.toLowerCase());
    if (entry === undefined) return undefined;
    const { clients } = entry;
    const count = clients.length;
    for (let tried = 0; tried < count; tried++) {
      const index = (entry.next + tried) % count;
      const client = clients[index] as AppClient;
      if (tag === undefined || client.tags.includes(tag)) {
        entry.next = (index + 1) % count;
        return client;
      }
    }
    return undefined;
  }

  pickCdrClient(kind: CdrKind): AppClient | undefined {
    return this.pickClient(kind);
  }

  /** The apps that routed `verb`, in rotation order (a snapshot, for inspection). */
  clientsFor(verb: string): readonly AppClient[] {
    return [...(this.#byVerb.get(verb.toLowerCase())?.clients ?? [])];
  }

  /** The verbs `client` routed (a snapshot). */
  verbsOf(client: AppClient): readonly string[] {
    return [...(this.#verbsOf.get(client) ?? [])];
  }

  #detach(client: AppClient, verb: string): void {
    const entry = this.#byVerb.get(verb);
    if (entry === undefined) return;
    const index = entry.clients.indexOf(client);
    if (index < 0) return;
    entry.clients.splice(index, 1);
    if (entry.clients.length === 0) {
      this.#byVerb.delete(verb);
      return;
    }
    // Keep the rotation pointing at the same next client after the removal.
    if (index < entry.next) entry.next--;
    if (entry.next >= entry.clients.length) entry.next = 0;
  }
}
