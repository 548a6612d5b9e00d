import { describe, expect, it } from 'vitest';
import {
  failureFromStatus,
  reasonPhrase,
  TRANSFER_FAILURE_REASONS,
  TransferFailure,
  transferMode,
  type StatusPhase,
  type TransferFailureReason,
} from '../../gateway/transfer/transfer-types.js';

describe('failureFromStatus', () => {
  it.each<[number, StatusPhase, TransferFailureReason]>([
    [486, 'invite', 'busy'],
    [600, 'invite', 'busy'],
    [486, 'notify', 'busy'],
    [408, 'invite', 'no-answer'],
    [480, 'invite', 'no-answer'],
    [480, 'notify', 'no-answer'],
    [487, 'notify', 'no-answer'],
    [487, 'invite', 'no-answer'],
    [403, 'invite', 'rejected'],
    [603, 'invite', 'rejected'],
    [603, 'notify', 'rejected'],
    [403, 'refer', 'rejected'],
    [404, 'invite', 'not-found'],
    [604, 'invite', 'not-found'],
    [410, 'invite', 'not-found'],
    [484, 'notify', 'not-found'],
    [503, 'invite', 'unavailable'],
    [500, 'notify', 'unavailable'],
    [502, 'invite', 'unavailable'],
    [504, 'invite', 'unavailable'],
    [500, 'refer', 'unavailable'],
    [405, 'refer', 'refer-not-supported'],
    [501, 'refer', 'refer-not-supported'],
    [420, 'refer', 'refer-not-supported'],
    [489, 'refer', 'refer-not-supported'],
    [501, 'invite', 'unavailable'],
    [405, 'invite', 'other'],
    [408, 'refer', 'timeout'],
    [401, 'refer', 'auth-failed'],
    [407, 'refer', 'auth-failed'],
    [407, 'invite', 'auth-failed'],
    [416, 'invite', 'bad-target'],
    [485, 'invite', 'bad-target'],
    [488, 'invite', 'media-failed'],
    [606, 'notify', 'media-failed'],
    [482, 'invite', 'loop-detected'],
    [483, 'notify', 'loop-detected'],
    [302, 'invite', 'other'],
    [400, 'refer', 'other'],
    [481, 'refer', 'other'],
    [487, 'refer', 'other'],
    [699, 'invite', 'rejected'],
  ])('%i to %s → %s', (status, phase, reason) => {
    const failure = failureFromStatus(status, phase);
    expect(failure?.code).toBe(reason);
    expect(failure?.sipStatus).toBe(status);
    expect(failure?.phase).toBe(phase);
    expect(failure?.metricLabel).toEqual({ reason, status });
  });

  it.each([100, 180, 183, 200, 202, 299])('%i is not a failure', (status) => {
    expect(failureFromStatus(status, 'notify')).toBeUndefined();
  });

  it('tells the AI leg the status that decided it, with its phrase', () => {
    expect(failureFromStatus(486, 'notify', 'Busy Here')?.notifyStatus).toEqual({
      status: 486,
      reason: 'Busy Here',
    });
    expect(failureFromStatus(603, 'invite')?.notifyStatus).toEqual({ status: 603, reason: 'Decline' });
    // A reason phrase from the network cannot break the status line Baton echoes it into.
    expect(failureFromStatus(480, 'invite', 'Gone\r\nVia: x')?.notifyStatus).toEqual({
      status: 480,
      reason: 'GoneVia: x',
    });
  });
});

describe('TransferFailure', () => {
  it('lists every reason once', () => {
    expect(new Set(TRANSFER_FAILURE_REASONS).size).toBe(TRANSFER_FAILURE_REASONS.length);
    expect(TRANSFER_FAILURE_REASONS).toEqual(
      expect.arrayContaining([
        'busy',
        'no-answer',
        'rejected',
        'not-found',
        'unavailable',
        'refer-not-supported',
        'timeout',
        'cancelled',
        'caller-hung-up',
        'auth-failed',
        'bad-target',
      ]),
    );
  });

  it.each(TRANSFER_FAILURE_REASONS)('%s carries a complete verdict', (reason) => {
    const failure = new TransferFailure(reason);
    expect(failure).toBeInstanceOf(Error);
    expect(failure.code).toBe(reason);
    expect(failure.sipStatus).toBeUndefined();
    expect(failure.metricLabel).toEqual({ reason, status: undefined });
    expect(failure.notifyStatus.status).toBeGreaterThanOrEqual(400);
    expect(failure.notifyStatus.reason).toBe(reasonPhrase(failure.notifyStatus.status));
    expect(failure.message.length).toBeGreaterThan(5);
  });

  it.each<[TransferFailureReason, number, boolean, boolean]>([
    ['no-answer', 480, true, true],
    ['timeout', 408, true, true],
    ['busy', 486, true, true],
    ['cancelled', 487, false, false],
    ['caller-hung-up', 487, false, false],
    ['refer-not-supported', 501, true, false],
  ])(
    '%s without a status: NOTIFY %i, fallback %s, retryable %s',
    (reason, notify, runsFallback, retryable) => {
      const failure = new TransferFailure(reason);
      expect(failure.notifyStatus.status).toBe(notify);
      expect(failure.runsFallback).toBe(runsFallback);
      expect(failure.retryable).toBe(retryable);
    },
  );

  it('keeps its cause', () => {
    const cause = new Error('socket closed');
    expect(new TransferFailure('internal', { cause }).cause).toBe(cause);
  });
});

describe('transferMode', () => {
  it.each([
    ['internal', 'invite', 'invite'],
    ['external', 'refer', 'refer'],
    ['external', 'bye', 'bye'],
    ['ivr', 'bye', 'ivr'],
    ['ivr', 'refer', 'ivr'],
  ] as const)('%s by %s → %s', (kind, method, mode) => {
    expect(transferMode(kind, method)).toBe(mode);
  });
});
