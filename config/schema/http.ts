/**
 * `http:` the control API, /metrics and the health probes.
 *
 * The API token decides whether `/api/*` is served at all: without a token the control API is off
 * (every `/api/*` call but the OpenAPI document answers 403 `api-disabled`), whatever the bind
 * address. That keeps `npm start` with no config safe on 0.0.0.0, while /healthz, /readyz and
 * /metrics, which expose no call data, stay open for probes and Prometheus.
 */
import { z } from 'zod';
import { hostPortSchema, secretSchema } from './common.js';

/** Below this a bearer token is guessable; 16 characters of a random source is about 96 bits. */
const MIN_API_TOKEN_LENGTH = 16;

export const httpSchema = z.strictObject({
  listen: hostPortSchema
    .prefault('0.0.0.0:8080')
    .describe("HTTP listen address as 'host:port' (IPv6 host in brackets, e.g. '[::]:8080')."),
  apiToken: secretSchema
    .min(MIN_API_TOKEN_LENGTH, `must be at least ${MIN_API_TOKEN_LENGTH} characters`)
    .optional()
    .describe(
      'Bearer token for /api/* (send `Authorization: Bearer <token>`). Unset: the control API is off ' +
        '(403 api-disabled) while /healthz, /readyz, /metrics stay open. ' +
        `At least ${MIN_API_TOKEN_LENGTH} characters. Secret; usually from BATON_API_TOKEN.`,
    ),
  maxBodyBytes: z
    .number()
    .int()
    .min(1024)
    .max(10 * 1024 * 1024)
    .default(64 * 1024)
    .describe('Largest accepted request body, in bytes; larger bodies get 413.'),
});
