/**
 * The srf.invite handler: the checks a new INVITE passes before it becomes a call, cheapest and
 * most final first, then the hand-off to the call registry.
 *
 *   1. draining            → 503 + Retry-After (another instance takes the call)
 *   2. scanner User-Agent   → no answer
 *   3. source in no trunk   → 403, or no answer (`security.unknownSource`)
 *   4. trunk with digest    → 407 challenge; wrong credentials → 403 (RFC 3261 §22.3)
 *   5. over `limits`        → 503 + Retry-After
 *
 * "No answer" is as quiet as a drachtio application can be: the SIP server has already sent its
 * stateless 100 Trying. The request is closed after {@link DROPPED_INVITE_CLOSE_MS}, when the
 * sender's INVITE transaction has long timed out, so neither drachtio-srf nor the server keeps
 * it for ever.
 */
import Srf from 'drachtio-srf';
import type { SecurityConfig } from '../../config/schema.js';
import { CONVERSATION_ID_HEADER, isValidConversationId } from '../call/agent-invite.js';
import type { NewCall } from '../call/call-registry.js';
import type { Clock, InboundInvite } from '../call/ports.js';
import {
  AuthFailedError,
  DrainingError,
  ScannerBlockedError,
  UnknownSourceError,
  type GatewayError,
} from '../errors.js';
import type { Logger } from '../observability/logger.js';
import type { Metrics } from '../observability/metrics.js';
import { admissionError, type AdmissionControl } from '../security/admission-control.js';
import type { DigestAuthenticator } from '../security/digest-auth.js';
import { isScanner } from '../security/scanner-filter.js';
import { sourceAddressOf } from '../security/source-address.js';
import type { Trunk, TrunkMatcher } from '../security/trunk-matcher.js';
import { CallerInvite } from './caller-invite.js';
import type { SipCounters } from './sip-counters.js';
import { partyOf } from './sip-party.js';

/**
 * How long a dropped INVITE is held before it is closed with 408: Timer B (64·T1 = 32 s,
 * RFC 3261 §17.1.1.2), after which the sender's client transaction has ended and ignores it.
 */
export const DROPPED_INVITE_CLOSE_MS = 32_000;

export interface InboundInviteOptions {
  srf: Srf;
  counters: SipCounters;
  metrics: Pick<Metrics, 'callsRejectedTotal' | 'callsTotal'>;
  trunks: TrunkMatcher;
  security: SecurityConfig;
  digest: DigestAuthenticator;
  admission: AdmissionControl;
  /** `limits.retryAfterSeconds`, for the 503 while draining. */
  retryAfterSeconds: number;
  calls: { startCall(call: NewCall): unknown };
  clock: Clock;
  logger: Logger;
}

/** Install the INVITE handler on `srf`. */
export function handleInboundInvites(opts: InboundInviteOptions): void {
  const log = opts.logger.child({ component: 'inbound' });

  const refuse = (
    req: Srf.SrfRequest,
    res: Srf.SrfResponse,
    err: GatewayError,
    trunk: string | undefined,
  ): void => {
    if (err.metricLabel !== undefined) opts.metrics.callsRejectedTotal.inc({ reason: err.metricLabel });
    opts.metrics.callsTotal.inc({ trunk: trunk ?? 'unknown', result: 'rejected' });
    const fields = { code: err.code, source: req.source_address, sipCallId: req.get('Call-ID'), trunk };
    if (err.sipStatus === undefined) {
      log.debug(fields, 'INVITE dropped');
      const timer = opts.clock.setTimer(() => {
        if (!res.finalResponseSent) res.send(408);
      }, DROPPED_INVITE_CLOSE_MS);
      // A CANCEL ends the transaction on the server's side; nothing is left to close.
      req.on('cancel', () => opts.clock.clearTimer(timer));
      return;
    }
    log.info({ ...fields, status: err.sipStatus }, 'INVITE refused');
    opts.counters.responseOut('INVITE', err.sipStatus);
    const headers = Object.fromEntries(err.sipHeaders);
    if (err.sipReason === undefined) res.send(err.sipStatus, { headers });
    else res.send(err.sipStatus, err.sipReason, { headers });
  };

  const challenge = (res: Srf.SrfResponse, realm: string, stale: boolean): void => {
    opts.counters.responseOut('INVITE', 407);
    const values = opts.digest.challenge({ realm, stale });
    res.send(407, { headers: { 'Proxy-Authenticate': repeatedHeader('Proxy-Authenticate', values) } });
  };

  opts.srf.invite((req, res) => {
    opts.counters.requestIn('INVITE');
    try {
      if (opts.admission.draining)
        return refuse(req, res, new DrainingError(opts.retryAfterSeconds), undefined);
      const userAgent = req.get('User-Agent');
      if (isScanner(userAgent, opts.security.scannerUserAgents)) {
        return refuse(req, res, new ScannerBlockedError(userAgent ?? ''), undefined);
      }
      const source = sourceAddressOf(req);
      const trunk = source === undefined ? undefined : opts.trunks.match(source);
      if (trunk === undefined) {
        return refuse(
          req,
          res,
          new UnknownSourceError(source ?? String(req.source_address), opts.security.unknownSource),
          undefined,
        );
      }
      if (trunk.auth !== undefined && !authenticated(req, res, trunk)) return;
      const admitted = opts.admission.tryAdmit();
      if (!admitted.ok) return refuse(req, res, admissionError(admitted), trunk.name);
      opts.calls.startCall({
        invite: describeInvite(req, source ?? ''),
        trunk: trunk.name,
        caller: new CallerInvite(opts.srf, req, res, opts.counters),
        release: () => admitted.release(),
      });
    } catch (err) {
      log.error({ err, sipCallId: req.get('Call-ID') }, 'INVITE handling failed');
      if (!res.finalResponseSent) {
        opts.counters.responseOut('INVITE', 500);
        res.send(500);
      }
    }
  });

  /** @returns true when the request carries valid credentials; otherwise it has been answered. */
  function authenticated(req: Srf.SrfRequest, res: Srf.SrfResponse, trunk: Trunk): boolean {
    const auth = trunk.auth;
    if (auth === undefined) return true;
    const realm = auth.realm ?? requestUriHost(req) ?? 'baton';
    const verdict = opts.digest.verify({
      method: 'INVITE',
      authorization: req.get('Proxy-Authorization'),
      credentials: { username: auth.username, password: auth.password },
      realm,
    });
    if (verdict.ok) return true;
    if (verdict.reason === 'missing' || verdict.reason === 'stale') {
      challenge(res, realm, verdict.reason === 'stale');
      return false;
    }
    log.info(
      { trunk: trunk.name, reason: verdict.reason, source: req.source_address },
      'digest authentication failed',
    );
    refuse(req, res, new AuthFailedError(trunk.name), trunk.name);
    return false;
  }
}

function describeInvite(req: Srf.SrfRequest, source: string): InboundInvite {
  const conversationId = req.get(CONVERSATION_ID_HEADER);
  const invite: InboundInvite = {
    sipCallId: req.get('Call-ID'),
    requestUri: req.uri,
    from: partyOf(req.getParsedHeader('From')),
    to: partyOf(req.getParsedHeader('To')),
    sdp: req.body === '' || req.body === undefined ? undefined : req.body,
    source: { address: source, port: Number(req.source_port), protocol: req.protocol },
  };
  return conversationId !== undefined && isValidConversationId(conversationId)
    ? { ...invite, conversationId }
    : invite;
}

function requestUriHost(req: Srf.SrfRequest): string | undefined {
  try {
    return Srf.parseUri(req.uri)?.host;
  } catch {
    return undefined;
  }
}

/**
 * One header with several values, each on its own line. drachtio-srf keeps one value per header
 * name, and RFC 3261 §7.3.1 forbids folding Proxy-Authenticate values into one comma-separated
 * line; the server parses the message text, so the extra lines arrive as separate fields.
 */
function repeatedHeader(name: string, values: readonly string[]): string {
  return values.join(`\r\n${name}: `);
}
