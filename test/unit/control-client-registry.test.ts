import { describe, expect, it } from 'vitest';
import { ClientRegistry } from '../../engine/control/client-registry.js';
import type { AppClient } from '../../engine/control/sip-core-port.js';

function app(id: string, tags: string[] = []): AppClient {
  return { id, tags, deliverSip: () => undefined, deliverCdr: () => undefined };
}

function picks(registry: ClientRegistry, verb: string, n: number, tag?: string): string[] {
  return Array.from({ length: n }, () => registry.pickClient(verb, tag)?.id ?? '-');
}

describe('ClientRegistry', () => {
  it('rotates through the apps that routed a verb, verbs compared case-insensitively', () => {
    const registry = new ClientRegistry();
    for (const id of ['a', 'b', 'c']) registry.route(app(id), 'invite');
    expect(picks(registry, 'INVITE', 6)).toEqual(['a', 'b', 'c', 'a', 'b', 'c']);
    expect(registry.pickClient('options')).toBeUndefined();
  });

  it('counts an app once however often srf re-sends its routes', () => {
    const registry = new ClientRegistry();
    const a = app('a');
    const b = app('b');
    // srf's routeVerbs re-sends every known verb each time a handler is added.
    registry.route(a, 'invite');
    registry.route(a, 'invite');
    registry.route(a, 'options');
    registry.route(a, 'invite');
    registry.route(b, 'invite');
    expect(picks(registry, 'invite', 4)).toEqual(['a', 'b', 'a', 'b']);
  });

  it('removes just the verb an app unregisters', () => {
    const registry = new ClientRegistry();
    const a = app('a');
    registry.route(a, 'invite');
    registry.route(a, 'options');
    expect(registry.removeRoute(a, 'options')).toBe(true);
    expect(registry.removeRoute(a, 'options')).toBe(false);
    expect(registry.pickClient('options')).toBeUndefined();
    expect(registry.pickClient('invite')).toBe(a);
    expect(registry.verbsOf(a)).toEqual(['invite']);
  });

  it('keeps the rotation fair when an app leaves', () => {
    const registry = new ClientRegistry();
    const [a, b, c] = [app('a'), app('b'), app('c')];
    for (const client of [a, b, c]) registry.route(client, 'invite');
    expect(picks(registry, 'invite', 2)).toEqual(['a', 'b']);
    registry.removeClient(a);
    expect(picks(registry, 'invite', 3)).toEqual(['c', 'b', 'c']);
    registry.removeClient(c);
    registry.removeClient(b);
    expect(registry.pickClient('invite')).toBeUndefined();
    expect(registry.clientsFor('invite')).toEqual([]);
  });

  it('honours a requested tag and skips apps without it', () => {
    const registry = new ClientRegistry();
    registry.route(app('a'), 'invite');
    registry.route(app('b', ['blue']), 'invite');
    registry.route(app('c'), 'invite');
    registry.route(app('d', ['blue']), 'invite');
    expect(picks(registry, 'invite', 3, 'blue')).toEqual(['b', 'd', 'b']);
    expect(registry.pickClient('invite', 'red')).toBeUndefined();
  });

  it('routes CDRs per kind', () => {
    const registry = new ClientRegistry();
    registry.route(app('a'), 'cdr:start');
    registry.route(app('b'), 'cdr:stop');
    expect(registry.pickCdrClient('cdr:start')?.id).toBe('a');
    expect(registry.pickCdrClient('cdr:stop')?.id).toBe('b');
    expect(registry.pickCdrClient('cdr:attempt')).toBeUndefined();
  });
});
