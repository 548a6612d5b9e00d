import { describe, expect, it } from 'vitest';
import { configSchema } from '../../config/schema.js';
import { AgentRouter, dialedUser, uriUser, type AgentRouteConfig } from '../../gateway/call/agent-routes.js';
import type { AgentTarget } from '../../gateway/call/call-session.js';
import { compileHeaderTemplates, renderHeaders, TemplateError } from '../../gateway/call/template.js';

const FALLBACK: AgentTarget = {
  uri: 'sip:agent@10.0.0.5',
  headerTemplates: compileHeaderTemplates(
    { 'X-Tenant': 'default', 'User-to-User': '{{call.to.user}};encoding=hex' },
    'aiAgent.headers',
  ),
  answerTimeoutMs: 15_000,
  failureAnswer: { status: 503 },
};

function invite(requestUri: string, to = 'sip:+4930999@baton.example') {
  return { requestUri, to: { uri: to, user: uriUser(to) } };
}

function routeOf(router: AgentRouter, trunk: string | undefined, requestUri: string): number | undefined {
  return router.select({ trunk, invite: invite(requestUri) }).route;
}

describe('uriUser / dialedUser', () => {
  it.each([
    ['sip:+4930123@baton.example', '+4930123'],
    ['sips:+4930123@baton.example:5061;transport=tls', '+4930123'],
    ['SIP:sales@baton.example', 'sales'],
    // RFC 3261 §19.1.6: telephone-subscriber parameters in the user part are not the number.
    ['sip:+4930123;npdi;rn=+4930999@baton.example;user=phone', '+4930123'],
    // RFC 3261 §19.1.4: user parts compare unescaped.
    ['sip:%2B4930123@baton.example', '+4930123'],
    ['sip:alice:secret@baton.example', 'alice'],
    ['sip:+4930123@baton.example?X-Extra=1', '+4930123'],
    ['tel:+4930123;phone-context=example.com', '+4930123'],
    ['sip:baton.example', ''],
    ['urn:service:sos', ''],
    ['not a uri', ''],
    // A broken escape is kept as written rather than throwing.
    ['sip:%zz@baton.example', '%zz'],
  ])('%s → %j', (uri, user) => {
    expect(uriUser(uri)).toBe(user);
  });

  it("takes the Request-URI's user, and To's only when the Request-URI has none", () => {
    expect(dialedUser(invite('sip:+4930123@baton', 'sip:+4940000@baton'))).toBe('+4930123');
    expect(dialedUser(invite('sip:baton.example', 'sip:+4940000@baton'))).toBe('+4940000');
    expect(dialedUser(invite('sip:baton.example', 'sip:baton.example'))).toBe('');
  });
});

describe('AgentRouter', () => {
  const routes: AgentRouteConfig[] = [
    { trunk: 'ivr', dialed: '+4930*', uri: 'sip:ivr-berlin@10.0.0.7' },
    { dialed: '+4930*', uri: 'sip:berlin@10.0.0.6', headers: { 'x-tenant': 'berlin' } },
    { dialed: '0800?23', uri: 'sip:literal@10.0.0.8' },
    { trunk: 'ivr', uri: 'sip:ivr@10.0.0.9' },
    { dialed: '*', uri: 'sip:never@10.0.0.10', trunk: 'carrier-b' },
  ];
  const router = new AgentRouter(FALLBACK, routes);

  it('the first route whose conditions all hold wins', () => {
    expect(routeOf(router, 'ivr', 'sip:+4930123@baton')).toBe(0);
    expect(routeOf(router, 'carrier-a', 'sip:+4930123@baton')).toBe(1);
    expect(routeOf(router, 'ivr', 'sip:+4940123@baton')).toBe(3);
    expect(routeOf(router, 'carrier-b', 'sip:+4940123@baton')).toBe(4);
    expect(router.select({ trunk: 'ivr', invite: invite('sip:+4930123@baton') }).target.uri).toBe(
      'sip:ivr-berlin@10.0.0.7',
    );
  });

  it('a call no route takes goes to aiAgent.uri with the shared headers', () => {
    const choice = router.select({ trunk: 'carrier-a', invite: invite('sip:+4940123@baton') });
    expect(choice.route).toBeUndefined();
    expect(choice.target).toBe(FALLBACK);
    // No trunk at all (only possible in tests of the call path) matches no trunk condition.
    expect(routeOf(router, undefined, 'sip:+4940123@baton')).toBeUndefined();
  });

  it('the dialed pattern matches the whole user part; `*` is any run, everything else literal', () => {
    expect(routeOf(router, 'carrier-a', 'sip:+4930@baton')).toBe(1);
    expect(routeOf(router, 'carrier-a', 'sip:4930123@baton')).toBeUndefined();
    expect(routeOf(router, 'carrier-a', 'sip:+49301@baton')).toBe(1);
    expect(routeOf(router, 'carrier-a', 'sip:0800%3F23@baton')).toBe(2);
    expect(routeOf(router, 'carrier-a', 'sip:0800123@baton')).toBeUndefined();
    expect(routeOf(router, 'carrier-a', 'sip:x0800%3F23@baton')).toBeUndefined();
    // With no user part anywhere the dialed number is '': only `*` matches it.
    const nobody = invite('sip:baton.example', 'sip:baton.example');
    expect(router.select({ trunk: 'carrier-a', invite: nobody }).route).toBeUndefined();
    expect(router.select({ trunk: 'carrier-b', invite: nobody }).route).toBe(4);
  });

  it("a route's headers are added to aiAgent.headers, replacing the same name in any case", () => {
    const { target } = router.select({ trunk: 'carrier-a', invite: invite('sip:+4930123@baton') });
    const values = {
      'call.id': 'c1',
      'call.from.user': '+1555',
      'call.to.user': '+4930123',
      conversationId: 'c1',
      trunk: 'carrier-a',
    };
    expect(renderHeaders(target.headerTemplates, values).headers).toEqual({
      'User-to-User': '+4930123;encoding=hex',
      'x-tenant': 'berlin',
    });
    expect(target).toMatchObject({ answerTimeoutMs: 15_000, failureAnswer: { status: 503 } });
  });

  it('refuses at construction a route header template that does not compile, naming the route', () => {
    expect(
      () => new AgentRouter(FALLBACK, [{ dialed: '1', uri: 'sip:a@b', headers: { 'X-A': '{{nope}}' } }]),
    ).toThrow(TemplateError);
    expect(
      () =>
        new AgentRouter(FALLBACK, [
          { dialed: '1', uri: 'sip:a@b' },
          { trunk: 't', uri: 'sip:a@b', headers: { 'X-A': '{{nope}}' } },
        ]),
    ).toThrow(/aiAgent\.routes\[1\]\.headers\.X-A: unknown placeholder/);
  });
});

/** Each problem of `input` as `path: message`. */
function problems(input: unknown): string[] {
  const r = configSchema.safeParse(input);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
}

describe('aiAgent.routes in the config schema', () => {
  const trunks = [{ name: 'carrier-a', addresses: ['192.0.2.1'] }];

  it('defaults to no routes, and takes trunk and dialed routes in order', () => {
    expect(configSchema.parse({}).aiAgent.routes).toEqual([]);
    const routes = [
      { dialed: '+4930*', uri: 'sip:berlin@10.0.0.6', headers: { 'X-Tenant': 'berlin' } },
      { trunk: 'carrier-a', uri: 'sip:carrier@10.0.0.7' },
    ];
    expect(configSchema.parse({ trunks, aiAgent: { routes } }).aiAgent.routes).toEqual(routes);
  });

  it("a route's trunk must name a configured trunk", () => {
    expect(
      problems({ trunks, aiAgent: { routes: [{ trunk: 'carrier-b', uri: 'sip:a@10.0.0.1' }] } }),
    ).toEqual(["aiAgent.routes.0.trunk: 'carrier-b' is not a configured trunk"]);
  });

  it('a route needs trunk or dialed, a SIP URI, a plain dialed pattern and valid header names', () => {
    expect(
      problems({
        aiAgent: {
          routes: [
            { uri: 'sip:a@10.0.0.1' },
            { dialed: '+49 30*', uri: 'sip:a@10.0.0.1' },
            { dialed: '+4930*', uri: 'http://agent.example' },
            { dialed: '1', uri: 'sip:a@10.0.0.1', headers: { Via: 'x' } },
            { dialed: '1', uri: 'sip:a@10.0.0.1', extra: true },
          ],
        },
      }),
    ).toEqual([
      'aiAgent.routes.0: needs trunk or dialed (or both); calls that match no route go to aiAgent.uri',
      "aiAgent.routes.1.dialed: must be 1–64 characters without spaces, '@' or ';', e.g. '+4930*'",
      expect.stringMatching(/^aiAgent\.routes\.2\.uri: must be a SIP URI/) as unknown as string,
      'aiAgent.routes.3.headers.Via: Via is set by the gateway itself',
      expect.stringMatching(/^aiAgent\.routes\.4: Unrecognized key/) as unknown as string,
    ]);
  });
});
