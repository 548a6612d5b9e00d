/**
 * Out-of-dialog OPTIONS: carriers, IVRs and SIP load balancers ping with OPTIONS to decide
 * whether to send calls here (RFC 3261 §11). A trunk's source gets 200 with what Baton
 * supports (§11.2), or 503 + Retry-After while draining so the pinger routes elsewhere; any
 * other source gets 403, like an INVITE would.
 */
import type Srf from 'drachtio-srf';
import type { AdmissionControl } from '../security/admission-control.js';
import { sourceAddressOf } from '../security/source-address.js';
import type { TrunkMatcher } from '../security/trunk-matcher.js';
import type { SipCounters } from './sip-counters.js';

/** Methods Baton handles in a call (INVITE dialogs, transfers, DTMF INFO, 100rel). */
export const ALLOWED_METHODS = 'INVITE, ACK, BYE, CANCEL, OPTIONS, REFER, NOTIFY, INFO, UPDATE, PRACK';

export interface OptionsResponderOptions {
  srf: Srf;
  trunks: TrunkMatcher;
  admission: Pick<AdmissionControl, 'draining'>;
  retryAfterSeconds: number;
  counters: SipCounters;
}

export function answerOptions(opts: OptionsResponderOptions): void {
  // srf.options exists in drachtio-srf's JavaScript; its shipped typings leave it out.
  const srf = opts.srf as unknown as {
    options(h: (req: Srf.SrfRequest, res: Srf.SrfResponse) => void): void;
  };
  srf.options((req, res) => {
    opts.counters.requestIn('OPTIONS');
    const source = sourceAddressOf(req);
    let status: number;
    if (source === undefined || opts.trunks.match(source) === undefined) {
      status = 403;
      res.send(403);
    } else if (opts.admission.draining) {
      status = 503;
      res.send(503, { headers: { 'Retry-After': String(opts.retryAfterSeconds) } });
    } else {
      status = 200;
      res.send(200, {
        headers: { Allow: ALLOWED_METHODS, Accept: 'application/sdp', Supported: '100rel, replaces' },
      });
    }
    opts.counters.responseOut('OPTIONS', status);
  });
}
