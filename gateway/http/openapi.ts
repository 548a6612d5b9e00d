/**
 * The OpenAPI 3.1 description of the HTTP surface, served at /api/openapi.json. It describes
 * exactly the routes `http-server.ts` serves; `test/integration/http-server.test.ts` checks that
 * every documented path answers.
 */
import { API_ERROR_CODES } from '../errors.js';

const json = (schema: object): object => ({ 'application/json': { schema } });
const ref = (name: string): object => ({ $ref: `#/components/schemas/${name}` });
const errorResponse = (description: string): object => ({ description, content: json(ref('Error')) });

const unauthorized = errorResponse(
  'No valid bearer token (`unauthorized`), or no token configured (`api-disabled`, 403).',
);

const callIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description: 'Call id, as listed by GET /api/calls.',
  schema: { type: 'string', minLength: 1, maxLength: 256 },
};

const transferIdParameter = {
  name: 'id',
  in: 'path',
  required: true,
  description:
    'Transfer session id, as returned by POST /api/calls/{id}/transfer (also `transferId` in logs).',
  schema: { type: 'string', minLength: 1, maxLength: 256 },
};

/** Version of the API described (not of Baton): bumped when a route or schema changes. */
export const API_VERSION = '1.1.0';

/** Any other failure: 400 bad request, 405, 413, 415, 500, each with its code. */
const otherError = errorResponse('Any other failure, with its code (bad-request, method-not-allowed, …).');

/** A fresh copy of the document (callers may serialise or modify it). */
export function buildOpenApiDocument(): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Baton control API',
      version: API_VERSION,
      description:
        'Health, readiness and metrics are open; /api/* needs `Authorization: Bearer <http.apiToken>` ' +
        '(except this document). Errors are `{ "error": { "code", "message" } }` with a stable code.',
    },
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: { type: 'string', enum: [...API_ERROR_CODES] },
                message: { type: 'string' },
              },
            },
          },
        },
        CallSummary: {
          type: 'object',
          required: ['id', 'trunk', 'state', 'from', 'to', 'startedAt'],
          properties: {
            id: { type: 'string' },
            trunk: { type: ['string', 'null'], description: 'Configured trunk name, null when unmatched.' },
            state: { type: 'string', description: 'Current state of the call state machine.' },
            from: { type: 'string', description: "The caller's From URI." },
            to: { type: 'string', description: "The Request-URI of the caller's INVITE." },
            startedAt: { type: 'string', format: 'date-time' },
            answeredAt: { type: 'string', format: 'date-time' },
          },
        },
        TransferRequest: {
          type: 'object',
          required: ['target'],
          properties: {
            target: {
              type: 'string',
              description:
                "A configured target name ('support'), or a number or SIP URI that transfer.allow admits.",
            },
            vars: {
              type: 'object',
              additionalProperties: { type: 'string', maxLength: 256 },
              description: 'Values for {{vars.<name>}} in the target’s headers and UUI (names lower-cased).',
            },
            overrides: {
              type: 'object',
              description:
                'Per-call overrides of the target: method, headers, headersInReferTo, uui, fallback ' +
                '(validated like the configuration file; see docs/configuration.md, transfer.targets).',
            },
          },
        },
        TransferStarted: {
          type: 'object',
          required: ['transferId'],
          properties: { transferId: { type: 'string' } },
        },
        TransferSession: {
          type: 'object',
          required: ['id', 'callId', 'target', 'mode', 'state', 'createdAt', 'updatedAt', 'vars', 'history'],
          properties: {
            id: { type: 'string' },
            callId: { type: 'string' },
            target: { type: 'string', description: 'Target of the latest attempt.' },
            mode: { type: 'string', enum: ['invite', 'refer', 'bye', 'ivr'] },
            state: { type: 'string', enum: ['pending', 'queued', 'active', 'post_agent', 'ended'] },
            outcome: {
              type: 'string',
              enum: ['completed', 'failed', 'cancelled', 'abandoned'],
              description: 'Once ended.',
            },
            failureReason: {
              type: 'string',
              description: 'Why the latest attempt failed (busy, no-answer, …).',
            },
            sipStatus: { type: 'integer', description: 'The SIP status behind the outcome or failure.' },
            vars: { type: 'object', additionalProperties: { type: 'string' } },
            createdAt: { type: 'string', format: 'date-time' },
            updatedAt: { type: 'string', format: 'date-time' },
            endedAt: { type: 'string', format: 'date-time' },
            history: {
              type: 'array',
              items: {
                type: 'object',
                required: ['state', 'at'],
                properties: {
                  state: { type: 'string' },
                  at: { type: 'string', format: 'date-time' },
                  detail: { type: 'string' },
                },
              },
            },
          },
        },
        CallList: {
          type: 'object',
          required: ['calls'],
          properties: { calls: { type: 'array', items: ref('CallSummary') } },
        },
        Readiness: {
          type: 'object',
          required: ['ready', 'checks', 'notReady'],
          properties: {
            ready: { type: 'boolean' },
            checks: {
              type: 'object',
              required: ['engine', 'store'],
              properties: {
                engine: {
                  type: 'boolean',
                  description: 'Connected to the SIP engine (embedded or drachtio-server).',
                },
                store: { type: 'boolean', description: 'Transfer-session store open.' },
              },
            },
            draining: {
              type: 'boolean',
              description:
                'Shutting down after SIGTERM: new calls get 503 while the calls in progress finish.',
            },
            notReady: { type: 'array', items: { type: 'string', enum: ['engine', 'store', 'draining'] } },
          },
        },
      },
    },
    paths: {
      '/healthz': {
        get: {
          summary: 'Liveness: 200 while the process runs.',
          responses: {
            '200': {
              description: 'Alive.',
              content: json({ type: 'object', properties: { status: { const: 'ok' } } }),
            },
          },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness: engine connected, store open and not draining.',
          responses: {
            '200': { description: 'Ready for calls.', content: json(ref('Readiness')) },
            '503': { description: 'Not ready; `notReady` names the parts.', content: json(ref('Readiness')) },
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics (text exposition format).',
          responses: {
            '200': { description: 'Metrics.', content: { 'text/plain': { schema: { type: 'string' } } } },
          },
        },
      },
      '/api/openapi.json': {
        get: {
          summary: 'This document.',
          responses: { '200': { description: 'OpenAPI 3.1 document.', content: json({ type: 'object' }) } },
        },
      },
      '/api/calls': {
        get: {
          summary: 'List calls in progress.',
          security: [{ bearer: [] }],
          responses: {
            '200': { description: 'Calls in progress, oldest first.', content: json(ref('CallList')) },
            '401': unauthorized,
            '403': unauthorized,
            default: otherError,
          },
        },
      },
      '/api/calls/{id}': {
        parameters: [callIdParameter],
        get: {
          summary: 'One call in progress.',
          security: [{ bearer: [] }],
          responses: {
            '200': { description: 'The call.', content: json(ref('CallSummary')) },
            '401': unauthorized,
            '403': unauthorized,
            '404': errorResponse('No such call (`call-not-found`).'),
            default: otherError,
          },
        },
        delete: {
          summary: 'Hang up every leg of a call.',
          security: [{ bearer: [] }],
          responses: {
            '204': { description: 'The call was hung up.' },
            '401': unauthorized,
            '403': unauthorized,
            '404': errorResponse('No such call (`call-not-found`).'),
            default: otherError,
          },
        },
      },
      '/api/calls/{id}/transfer': {
        parameters: [callIdParameter],
        post: {
          summary: 'Transfer the caller to a target; the outcome comes in the transfer session.',
          security: [{ bearer: [] }],
          requestBody: { required: true, content: json(ref('TransferRequest')) },
          responses: {
            '202': { description: 'The transfer session started.', content: json(ref('TransferStarted')) },
            '400': errorResponse(
              'Invalid target, vars or overrides (`invalid-transfer-request`, `bad-request`).',
            ),
            '401': unauthorized,
            '403': errorResponse(
              'The target is neither configured nor admitted by transfer.allow (`target-not-allowed`), ' +
                'or the API is disabled (`api-disabled`).',
            ),
            '404': errorResponse('No such call (`call-not-found`).'),
            '409': errorResponse(
              'A transfer is already running, or the caller is not with the AI agent (`transfer-conflict`).',
            ),
            default: otherError,
          },
        },
      },
      '/api/transfers/{id}': {
        parameters: [transferIdParameter],
        get: {
          summary: 'A transfer session (live, or ended and stored).',
          security: [{ bearer: [] }],
          responses: {
            '200': { description: 'The session record.', content: json(ref('TransferSession')) },
            '401': unauthorized,
            '403': unauthorized,
            '404': errorResponse('No such transfer session (`transfer-not-found`).'),
            default: otherError,
          },
        },
      },
    },
  };
}
