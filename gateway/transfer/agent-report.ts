/**
 * What a transfer session tells the AI agent's side: the NOTIFYs about its REFER
 * (RFC 3515 §2.4.4), the INVITE that returns the caller to it after a failed transfer, and the
 * call's one "the transfer is over for you" (at post_agent or at the end, whichever comes first).
 */
import type { Logger } from '../observability/logger.js';
import { buildReferNotify } from './refer-headers.js';
import {
  FALLBACK_NODE_HEADER,
  TRANSFER_REASON_HEADER,
  TRANSFER_STATUS_HEADER,
  type TransferHost,
} from './transfer-host.js';
import type { TransferFailure } from './transfer-types.js';

export class AgentReport {
  private readonly host: TransferHost;
  /** The CSeq of the AI agent's REFER, when a REFER triggered: its NOTIFYs' `id`. */
  private readonly referCseq: number | undefined;
  private readonly subscriptionSeconds: number;
  /** The call has been told the transfer is over (post_agent, or ended). */
  private handedBack = false;

  constructor(host: TransferHost, referCseq: number | undefined, subscriptionSeconds: number) {
    this.host = host;
    this.referCseq = referCseq;
    this.subscriptionSeconds = subscriptionSeconds;
  }

  /** NOTIFY the AI leg of the attempt's progress; nothing when no REFER triggered the transfer. */
  notify(status: number, reason: string): void {
    if (this.referCseq === undefined) return;
    this.host.notifyAgent(
      buildReferNotify({
        referCseq: this.referCseq,
        status,
        reason,
        expiresSeconds: this.subscriptionSeconds,
      }),
    );
  }

  /**
   * The fallback returns the caller to the AI agent: when its leg is still up (`resume`) the
   * caller simply stays; otherwise the agent is dialled again, told why in headers.
   */
  returnToAgent(
    resume: boolean,
    node: string | undefined,
    failure: TransferFailure | undefined,
    log: Logger,
  ): void {
    if (resume) {
      log.info({ node }, 'the caller stays with the AI agent');
      return;
    }
    const headers: Record<string, string> = {
      [TRANSFER_STATUS_HEADER]: String(failure?.sipStatus ?? failure?.notifyStatus.status ?? 200),
      [TRANSFER_REASON_HEADER]: failure?.code ?? 'human-hangup',
    };
    if (node !== undefined) headers[FALLBACK_NODE_HEADER] = node;
    log.info({ node, headers }, 'returning the caller to the AI agent');
    this.host.redialAgent(headers);
  }

  /** Tell the call the transfer is over for it; only the first call counts. */
  handBack(completed: boolean): void {
    if (this.handedBack) return;
    this.handedBack = true;
    this.host.transferEnded(completed);
  }
}
