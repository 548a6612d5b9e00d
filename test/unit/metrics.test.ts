import { describe, expect, it } from 'vitest';
import { createMetrics, sipMethodLabel, sipStatusLabel } from '../../gateway/observability/metrics.js';

describe('metrics', () => {
  it('renders every baton_ metric with its labels', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.callsTotal.inc({ trunk: 'carrier-a', result: 'answered' });
    m.callsActive.inc();
    m.callsActive.inc();
    m.callsActive.dec();
    m.callSetupSeconds.observe(0.3);
    m.callsRejectedTotal.inc({ reason: 'over-limit' });
    m.sipRequestsTotal.inc({ method: 'invite', direction: 'inbound' });
    m.sipResponsesTotal.inc({ method: 'INVITE', status: 200, direction: 'outbound' });
    m.sipResponsesTotal.inc({ method: 'INVITE', status: 599, direction: 'outbound' });
    m.engineConnected.set(true);
    const text = await m.render();
    expect(text).toContain('baton_calls_total{trunk="carrier-a",result="answered"} 1');
    expect(text).toContain('baton_calls_active 1');
    expect(text).toContain('baton_call_setup_seconds_bucket{le="0.5"} 1');
    expect(text).toContain('baton_call_setup_seconds_bucket{le="0.25"} 0');
    expect(text).toContain('baton_calls_rejected_total{reason="over-limit"} 1');
    expect(text).toContain('baton_sip_requests_total{method="INVITE",direction="inbound"} 1');
    expect(text).toContain('baton_sip_responses_total{method="INVITE",status="200",direction="outbound"} 1');
    expect(text).toContain('baton_sip_responses_total{method="INVITE",status="5xx",direction="outbound"} 1');
    expect(text).toContain('baton_engine_connected 1');
    expect(m.contentType).toContain('text/plain');
  });

  it('each instance has its own registry', async () => {
    const a = createMetrics({ defaultMetrics: false });
    const b = createMetrics({ defaultMetrics: false });
    a.callsActive.set(5);
    expect(await b.render()).toContain('baton_calls_active 0');
  });

  it('adds Node process metrics with the baton_ prefix', async () => {
    const text = await createMetrics().render();
    expect(text).toContain('baton_process_cpu_user_seconds_total');
    expect(text).toContain('baton_nodejs_eventloop_lag_seconds');
  });

  it.each([
    ['INVITE', 'INVITE'],
    ['refer', 'REFER'],
    ['FOO', 'OTHER'],
  ])('method %s → %s', (method, label) => {
    expect(sipMethodLabel(method)).toBe(label);
  });

  it.each([
    [180, '180'],
    [487, '487'],
    [422, '4xx'],
    [699, '6xx'],
    [99, 'other'],
    [700, 'other'],
  ])('status %i → %s (bounded cardinality)', (status, label) => {
    expect(sipStatusLabel(status)).toBe(label);
  });
});
