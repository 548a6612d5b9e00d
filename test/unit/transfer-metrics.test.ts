import { describe, expect, it } from 'vitest';
import { createMetrics, transferStatusLabel } from '../../gateway/observability/metrics.js';
import { failureFromStatus, TransferFailure } from '../../gateway/transfer/transfer-types.js';

describe('transfer metrics', () => {
  it('renders the four transfer metrics with their labels', async () => {
    const m = createMetrics({ defaultMetrics: false });
    m.transfersActive.inc();
    m.transfersActive.inc();
    m.transfersActive.dec();
    m.transfersTotal.inc({ mode: 'refer', result: 'completed' });
    m.transfersTotal.inc({ mode: 'invite', result: 'failed' });
    m.transferFailuresTotal.inc(failureFromStatus(486, 'notify')!.metricLabel);
    m.transferFailuresTotal.inc(failureFromStatus(405, 'refer')!.metricLabel);
    m.transferFailuresTotal.inc(new TransferFailure('timeout').metricLabel);
    m.transferDurationSeconds.observe({ mode: 'refer' }, 3.2);
    const text = await m.render();
    expect(text).toContain('baton_transfers_active 1');
    expect(text).toContain('baton_transfers_total{mode="refer",result="completed"} 1');
    expect(text).toContain('baton_transfers_total{mode="invite",result="failed"} 1');
    expect(text).toContain('baton_transfer_failures_total{reason="busy",code="486"} 1');
    expect(text).toContain('baton_transfer_failures_total{reason="refer-not-supported",code="405"} 1');
    expect(text).toContain('baton_transfer_failures_total{reason="timeout",code="none"} 1');
    expect(text).toContain('baton_transfer_duration_seconds_bucket{le="2",mode="refer"} 0');
    expect(text).toContain('baton_transfer_duration_seconds_bucket{le="5",mode="refer"} 1');
    expect(text).toContain('baton_transfer_duration_seconds_count{mode="refer"} 1');
  });

  it.each([
    [486, '486'],
    [405, '405'],
    [699, '699'],
    [300, '300'],
    [200, 'none'],
    [700, 'none'],
    [486.5, 'none'],
    [undefined, 'none'],
  ])('status %s → code %s (a closed set: 300–699 or none)', (status, label) => {
    expect(transferStatusLabel(status)).toBe(label);
  });
});
