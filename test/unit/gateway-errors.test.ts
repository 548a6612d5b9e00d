import { describe, expect, it } from 'vitest';
import {
  AgentUnavailableError,
  API_ERROR_CODES,
  AuthFailedError,
  CallNotFoundError,
  DrainingError,
  GatewayError,
  OverLimitError,
  ScannerBlockedError,
  UnauthorizedError,
  UnknownSourceError,
} from '../../gateway/errors.js';

describe('gateway errors carry their verdict', () => {
  it.each([
    [new UnknownSourceError('192.0.2.9', 'reject'), 'unknown-source', 403, 'unknown-source', false],
    [new UnknownSourceError('192.0.2.9', 'drop'), 'unknown-source', undefined, 'unknown-source', false],
    [new ScannerBlockedError('friendly-scanner'), 'scanner-blocked', undefined, 'scanner', false],
    [new AuthFailedError('carrier-a'), 'auth-failed', 403, 'auth-failed', false],
    [new OverLimitError('max-calls', 5), 'over-limit', 503, 'over-limit', true],
    [new DrainingError(5), 'draining', 503, 'draining', true],
    [
      new AgentUnavailableError('486 Busy Here', { status: 480 }),
      'agent-unavailable',
      480,
      'agent-unavailable',
      true,
    ],
  ])('%s', (err, code, sipStatus, metricLabel, retryable) => {
    expect(err).toBeInstanceOf(GatewayError);
    expect(err.code).toBe(code);
    expect(err.sipStatus).toBe(sipStatus);
    expect(err.metricLabel).toBe(metricLabel);
    expect(err.retryable).toBe(retryable);
  });

  it('over-limit and draining answers say when to retry (RFC 3261 §20.33)', () => {
    expect(new OverLimitError('calls-per-second', 7).sipHeaders).toEqual([['Retry-After', '7']]);
    expect(new DrainingError(3).sipHeaders).toEqual([['Retry-After', '3']]);
  });

  it('API errors map to HTTP statuses and codes the OpenAPI document lists', () => {
    const unauthorized = new UnauthorizedError();
    expect(unauthorized.httpStatus).toBe(401);
    expect(unauthorized.httpHeaders).toEqual([['WWW-Authenticate', 'Bearer realm="baton"']]);
    expect(new CallNotFoundError('abc').httpStatus).toBe(404);
    expect(API_ERROR_CODES).toContain(unauthorized.code);
  });

  it('names itself after its class', () => {
    expect(new CallNotFoundError('x').name).toBe('CallNotFoundError');
  });
});
