/**
 * Counting the SIP traffic the gateway itself sends and receives through drachtio-srf into
 * `baton_sip_requests_total` / `baton_sip_responses_total`. Direction is the gateway's view:
 * `inbound` came from the network to the gateway, `outbound` went from the gateway out. What
 * the engine answers on its own (100 Trying, 487 after CANCEL, retransmissions) never reaches
 * the gateway and is not counted here.
 */
import type { Metrics } from '../observability/metrics.js';

export class SipCounters {
  private readonly metrics: Pick<Metrics, 'sipRequestsTotal' | 'sipResponsesTotal'>;

  constructor(metrics: Pick<Metrics, 'sipRequestsTotal' | 'sipResponsesTotal'>) {
    this.metrics = metrics;
  }

  requestIn(method: string): void {
    this.metrics.sipRequestsTotal.inc({ method, direction: 'inbound' });
  }

  requestOut(method: string): void {
    this.metrics.sipRequestsTotal.inc({ method, direction: 'outbound' });
  }

  responseIn(method: string, status: number): void {
    this.metrics.sipResponsesTotal.inc({ method, status, direction: 'inbound' });
  }

  responseOut(method: string, status: number): void {
    this.metrics.sipResponsesTotal.inc({ method, status, direction: 'outbound' });
  }
}
