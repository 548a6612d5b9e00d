/**
 * The HTTP surface (node:http, no framework): liveness and readiness probes, Prometheus metrics,
 * and the bearer-protected control API under /api. Every error answer is JSON
 * `{ error: { code, message } }` built from a {@link GatewayError}'s own verdict.
 *
 * Routes (see `openapi.ts`, served at /api/openapi.json):
 *   GET /healthz, GET /readyz, GET /metrics, GET /api/openapi.json      open
 *   GET /api/calls, GET /api/calls/{id}, DELETE /api/calls/{id}         bearer token
 *   POST /api/calls/{id}/transfer, GET /api/transfers/{id}              bearer token
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  ApiDisabledError,
  BadApiRequestError,
  CallNotFoundError,
  GatewayError,
  InternalError,
  MethodNotAllowedError,
  RouteNotFoundError,
  TransferNotFoundError,
  UnauthorizedError,
  type Header,
} from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import type { CallsApi } from './calls-api.js';
import { buildOpenApiDocument } from './openapi.js';
import { readJsonBody } from './read-json-body.js';

/** What /readyz reports: each part the gateway needs before it can take calls. */
export interface Readiness {
  /** Connected to the SIP engine (embedded or drachtio-server). */
  engine: boolean;
  /** Transfer-session store open. */
  store: boolean;
  /**
   * Shutting down (SIGTERM): new calls get 503, so a load balancer should stop sending them here
   * although engine and store are still up. Absent: the server has no drain state.
   */
  draining?: boolean;
}

export interface HttpServerOptions {
  listen: { readonly host: string; readonly port: number };
  /** Bearer token for /api/*; undefined turns the control API off (403 api-disabled). */
  apiToken: string | undefined;
  /** Largest accepted request body in bytes (`http.maxBodyBytes`). */
  maxBodyBytes?: number;
  metrics: Pick<Metrics, 'render' | 'contentType'>;
  health: () => Readiness;
  calls: CallsApi;
  logger: Logger;
}

export interface HttpServer {
  /** Bind and listen; resolves with the address actually bound (port 0 resolved). */
  start(): Promise<{ host: string; port: number }>;
  /** Stop accepting, let requests in flight finish briefly, then close every connection. */
  close(): Promise<void>;
}

/** Whole-request deadline: a client trickling its body this long is cut off (slowloris). */
const REQUEST_TIMEOUT_MS = 10_000;
/** On close, requests in flight get this long before their connections are cut. */
const CLOSE_GRACE_MS = 2_000;
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;
const MAX_CALL_ID_LENGTH = 256;

type Method = 'GET' | 'DELETE' | 'POST' | 'PUT' | 'PATCH';

interface Reply {
  status: number;
  /** Serialised as JSON; absent for an empty body (204). */
  json?: unknown;
  /** Sent as is with `contentType`. */
  text?: string;
  contentType?: string;
  headers?: readonly Header[];
}

interface RequestContext {
  params: readonly string[];
  /** The parsed JSON body, or undefined when the request had none. */
  body: unknown;
}

type Handler = (ctx: RequestContext) => Reply | Promise<Reply>;

interface Route {
  pattern: RegExp;
  /** Open routes need no bearer token. */
  open: boolean;
  methods: Partial<Record<Method, Handler>>;
}

export function createHttpServer(options: HttpServerOptions): HttpServer {
  const { calls, health, metrics } = options;
  const log = options.logger.child({ component: 'http' });
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const expectedToken = options.apiToken === undefined ? undefined : digest(options.apiToken);

  const routes: Route[] = [
    { pattern: /^\/healthz$/, open: true, methods: { GET: () => ({ status: 200, json: { status: 'ok' } }) } },
    { pattern: /^\/readyz$/, open: true, methods: { GET: () => readiness(health()) } },
    {
      pattern: /^\/metrics$/,
      open: true,
      methods: {
        GET: async () => ({ status: 200, text: await metrics.render(), contentType: metrics.contentType }),
      },
    },
    {
      pattern: /^\/api\/openapi\.json$/,
      open: true,
      methods: { GET: () => ({ status: 200, json: buildOpenApiDocument() }) },
    },
    {
      pattern: /^\/api\/calls$/,
      open: false,
      methods: { GET: () => ({ status: 200, json: { calls: calls.list() } }) },
    },
    {
      pattern: /^\/api\/calls\/([^/]+)$/,
      open: false,
      methods: {
        GET: ({ params }) => {
          const id = callId(params[0]);
          const call = calls.get(id);
          if (call === undefined) throw new CallNotFoundError(id);
          return { status: 200, json: call };
        },
        DELETE: async ({ params }) => {
          const id = callId(params[0]);
          if (!(await calls.hangup(id))) throw new CallNotFoundError(id);
          return { status: 204 };
        },
      },
    },
    {
      pattern: /^\/api\/calls\/([^/]+)\/transfer$/,
      open: false,
      methods: {
        POST: ({ params, body }) => {
          const id = callId(params[0]);
          if (typeof body !== 'object' || body === null || Array.isArray(body)) {
            throw new BadApiRequestError('body must be a JSON object: { target, vars?, overrides? }');
          }
          const { target, vars, overrides } = body as Record<string, unknown>;
          const started = calls.transfer(id, { target, vars, overrides });
          if (started === undefined) throw new CallNotFoundError(id);
          return { status: 202, json: started };
        },
      },
    },
    {
      pattern: /^\/api\/transfers\/([^/]+)$/,
      open: false,
      methods: {
        GET: async ({ params }) => {
          const id = callId(params[0]);
          const session = await calls.getTransfer(id);
          if (session === undefined) throw new TransferNotFoundError(id);
          return { status: 200, json: session };
        },
      },
    },
  ];

  /** RFC 6750 §2.1 bearer token, compared in constant time (hashes of equal length). */
  const authorize = (req: IncomingMessage): void => {
    if (expectedToken === undefined) throw new ApiDisabledError();
    const m = /^Bearer[ \t]+(\S+)[ \t]*$/i.exec(req.headers.authorization ?? '');
    if (m?.[1] === undefined || !timingSafeEqual(digest(m[1]), expectedToken)) throw new UnauthorizedError();
  };

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = performance.now();
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    let reply: Reply;
    try {
      const route = routes.find((r) => r.pattern.test(path));
      // Under /api the token is checked before the route, so unauthenticated callers learn nothing.
      if (!(route?.open ?? false) && path.startsWith('/api/')) authorize(req);
      if (route === undefined) throw new RouteNotFoundError(path);
      const handler = route.methods[(method === 'HEAD' ? 'GET' : method) as Method];
      if (handler === undefined) throw new MethodNotAllowedError(method, allowedMethods(route));
      const body = await readJsonBody(req, maxBodyBytes);
      const params = (route.pattern.exec(path) ?? []).slice(1);
      reply = await handler({ params, body });
    } catch (err) {
      reply = errorReply(err, log, { method, path });
      // A body left unread would otherwise stall the connection; drop the rest of it.
      if (!req.complete) req.resume();
    }
    send(res, reply);
    log.debug(
      { method, path, status: reply.status, ms: Math.round(performance.now() - started) },
      'http request',
    );
  };

  const server: Server = createServer({ requestTimeout: REQUEST_TIMEOUT_MS }, (req, res) => {
    handle(req, res).catch((err: unknown) => {
      log.error({ err }, 'http handler failed');
      if (!res.headersSent)
        send(res, errorReply(err, log, { method: req.method ?? '', path: req.url ?? '' }));
      else res.destroy();
    });
  });

  return {
    start: () =>
      new Promise((resolve, reject) => {
        const onError = (err: Error): void => reject(err);
        server.once('error', onError);
        server.listen(options.listen.port, options.listen.host, () => {
          server.off('error', onError);
          const a = server.address() as AddressInfo;
          log.info({ host: a.address, port: a.port }, 'http listening');
          resolve({ host: a.address, port: a.port });
        });
      }),
    close: () =>
      new Promise((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        const cut = setTimeout(() => server.closeAllConnections(), CLOSE_GRACE_MS);
        cut.unref();
        server.close(() => {
          clearTimeout(cut);
          resolve();
        });
        server.closeIdleConnections();
      }),
  };
}

function readiness(r: Readiness): Reply {
  const { draining, ...checks } = r;
  const notReady: string[] = (Object.keys(checks) as Array<keyof typeof checks>).filter((k) => !checks[k]);
  if (draining === true) notReady.push('draining');
  return {
    status: notReady.length === 0 ? 200 : 503,
    json: { ready: notReady.length === 0, checks, ...(draining !== undefined && { draining }), notReady },
  };
}

function callId(raw: string | undefined): string {
  let id: string;
  try {
    id = decodeURIComponent(raw ?? '');
  } catch {
    throw new BadApiRequestError('call id is not valid percent-encoding');
  }
  if (id === '' || id.length > MAX_CALL_ID_LENGTH) {
    throw new BadApiRequestError(`call id must be 1–${MAX_CALL_ID_LENGTH} characters`);
  }
  return id;
}

function allowedMethods(route: Route): string[] {
  const methods = Object.keys(route.methods);
  return methods.includes('GET') ? [...methods, 'HEAD'] : methods;
}

function errorReply(err: unknown, log: Logger, request: { method: string; path: string }): Reply {
  const e = err instanceof GatewayError ? err : new InternalError(err);
  if (e.httpStatus >= 500) log.error({ err, ...request }, 'http request failed');
  return {
    status: e.httpStatus,
    json: { error: { code: e.code, message: e.message } },
    headers: e.httpHeaders,
  };
}

function send(res: ServerResponse, reply: Reply): void {
  res.statusCode = reply.status;
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  for (const [name, value] of reply.headers ?? []) res.setHeader(name, value);
  if (reply.text !== undefined) {
    res.setHeader('Content-Type', reply.contentType ?? 'text/plain; charset=utf-8');
    res.end(reply.text);
  } else if (reply.json !== undefined) {
    const body = JSON.stringify(reply.json);
    res.setHeader('Content-Type', 'application/json; charset=utf-8');
    res.setHeader('Content-Length', Buffer.byteLength(body));
    res.end(body);
  } else {
    res.end();
  }
}

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}
