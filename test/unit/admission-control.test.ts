import { describe, expect, it } from 'vitest';
import { DrainingError, OverLimitError } from '../../gateway/errors.js';
import {
  AdmissionControl,
  admissionError,
  type Admission,
  type AdmissionControlOptions,
  type AdmissionGranted,
} from '../../gateway/security/admission-control.js';

class ManualClock {
  t = 1_000_000;
  now(): number {
    return this.t;
  }
}

function setup(options: Partial<Omit<AdmissionControlOptions, 'clock'>> = {}) {
  const clock = new ManualClock();
  const control = new AdmissionControl({
    maxCalls: 1000,
    maxCallsPerSecond: 5,
    retryAfterSeconds: 7,
    ...options,
    clock,
  });
  return { clock, control };
}

function granted(a: Admission): AdmissionGranted {
  if (!a.ok) throw new Error(`expected admission, got ${a.reason}`);
  return a;
}

/** Try `n` admissions at the current instant; how many got in. */
function burst(control: AdmissionControl, n: number): number {
  let admitted = 0;
  for (let i = 0; i < n; i++) if (control.tryAdmit().ok) admitted++;
  return admitted;
}

describe('AdmissionControl: calls per second (token bucket)', () => {
  it('admits a burst of maxCallsPerSecond at once, then refuses with max-cps and Retry-After', () => {
    const { control } = setup({ maxCallsPerSecond: 5, retryAfterSeconds: 7 });
    expect(burst(control, 5)).toBe(5);
    expect(control.tryAdmit()).toEqual({ ok: false, reason: 'max-cps', retryAfterSeconds: 7 });
    expect(control.active).toBe(5);
  });

  it('refills one call per 1/rate seconds, not before', () => {
    const { clock, control } = setup({ maxCallsPerSecond: 5 });
    burst(control, 5);
    clock.t += 199;
    expect(control.tryAdmit().ok).toBe(false);
    clock.t += 1;
    expect(control.tryAdmit().ok).toBe(true);
    expect(control.tryAdmit().ok).toBe(false);
  });

  it('refills exactly, with a rate that is no binary fraction per millisecond (3/s)', () => {
    const { clock, control } = setup({ maxCallsPerSecond: 3 });
    burst(control, 3);
    for (let second = 0; second < 100; second++) {
      clock.t += 1000;
      expect(burst(control, 10)).toBe(3);
    }
  });

  it('never holds more than one burst, however long it was idle', () => {
    const { clock, control } = setup({ maxCallsPerSecond: 5 });
    clock.t += 3_600_000;
    expect(burst(control, 100)).toBe(5);
  });

  it('holds a steady offered load to the configured rate over time', () => {
    const { clock, control } = setup({ maxCallsPerSecond: 50 });
    let admitted = 0;
    // 200 attempts per second for 10 s, one every 5 ms.
    for (let i = 0; i < 2000; i++) {
      const a = control.tryAdmit();
      if (a.ok) {
        admitted++;
        a.release();
      }
      clock.t += 5;
    }
    // The initial burst plus 50/s for the 9.995 s that followed it.
    expect(admitted).toBe(50 + 499);
  });

  it('does not mint tokens when the clock steps backwards', () => {
    const { clock, control } = setup({ maxCallsPerSecond: 5 });
    burst(control, 5);
    clock.t -= 60_000;
    expect(control.tryAdmit().ok).toBe(false);
    clock.t += 200;
    // Time is measured from the last reading, so 200 ms after the step-back earn one token.
    expect(control.tryAdmit().ok).toBe(true);
  });
});

describe('AdmissionControl: concurrent calls', () => {
  it('refuses with max-calls at maxCalls in progress, and admits again after a release', () => {
    const { control } = setup({ maxCalls: 2, maxCallsPerSecond: 100, retryAfterSeconds: 3 });
    const first = granted(control.tryAdmit());
    granted(control.tryAdmit());
    expect(control.tryAdmit()).toEqual({ ok: false, reason: 'max-calls', retryAfterSeconds: 3 });
    first.release();
    expect(control.active).toBe(1);
    expect(control.tryAdmit().ok).toBe(true);
    expect(control.active).toBe(2);
  });

  it('release() is idempotent: a second call frees nothing more', () => {
    const { control } = setup({ maxCalls: 2, maxCallsPerSecond: 100 });
    const a = granted(control.tryAdmit());
    granted(control.tryAdmit());
    a.release();
    a.release();
    a.release();
    expect(control.active).toBe(1);
    granted(control.tryAdmit());
    expect(control.tryAdmit()).toMatchObject({ ok: false, reason: 'max-calls' });
  });

  it('a call refused for max-calls does not spend a rate token', () => {
    const { control } = setup({ maxCalls: 1, maxCallsPerSecond: 2 });
    const a = granted(control.tryAdmit());
    for (let i = 0; i < 10; i++) expect(control.tryAdmit()).toMatchObject({ reason: 'max-calls' });
    a.release();
    // One token left of the burst of two, untouched by the ten refusals.
    expect(control.tryAdmit().ok).toBe(true);
  });
});

describe('AdmissionControl: draining', () => {
  it('refuses every new call with draining once started, while admitted calls still release', () => {
    const { control } = setup({ retryAfterSeconds: 9 });
    const a = granted(control.tryAdmit());
    expect(control.draining).toBe(false);
    control.startDraining();
    expect(control.draining).toBe(true);
    expect(control.tryAdmit()).toEqual({ ok: false, reason: 'draining', retryAfterSeconds: 9 });
    expect(control.active).toBe(1);
    a.release();
    expect(control.active).toBe(0);
    expect(control.tryAdmit()).toMatchObject({ ok: false, reason: 'draining' });
  });

  it('draining wins over the other limits', () => {
    const { control } = setup({ maxCalls: 1, maxCallsPerSecond: 1 });
    granted(control.tryAdmit());
    control.startDraining();
    expect(control.tryAdmit()).toMatchObject({ reason: 'draining' });
  });
});

describe('AdmissionControl: configuration', () => {
  it.each([
    { maxCalls: 0 },
    { maxCallsPerSecond: 0 },
    { retryAfterSeconds: 0 },
    { maxCalls: 1.5 },
    { maxCallsPerSecond: Number.NaN },
  ])('refuses %j', (bad) => {
    expect(() => setup(bad)).toThrow(RangeError);
  });
});

describe('admissionError', () => {
  it('maps each refusal to its gateway error: 503 with Retry-After and the metrics label', () => {
    const { control, clock } = setup({ maxCalls: 1, maxCallsPerSecond: 1, retryAfterSeconds: 4 });
    const a = granted(control.tryAdmit());
    const maxCalls = control.tryAdmit();
    a.release();
    const maxCps = control.tryAdmit();
    clock.t += 1000;
    control.startDraining();
    const draining = control.tryAdmit();
    if (maxCalls.ok || maxCps.ok || draining.ok) throw new Error('test setup: expected refusals');

    const e1 = admissionError(maxCalls);
    expect(e1).toBeInstanceOf(OverLimitError);
    expect(e1).toMatchObject({ limit: 'max-calls', sipStatus: 503, sipHeaders: [['Retry-After', '4']] });
    const e2 = admissionError(maxCps);
    expect(e2).toMatchObject({ limit: 'calls-per-second', metricLabel: 'over-limit' });
    const e3 = admissionError(draining);
    expect(e3).toBeInstanceOf(DrainingError);
    expect(e3).toMatchObject({ sipStatus: 503, metricLabel: 'draining', sipHeaders: [['Retry-After', '4']] });
  });
});
