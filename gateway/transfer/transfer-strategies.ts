/**
 * The transfer modes and the strategy that runs each: a `Record` over every {@link TransferMode},
 * so a mode added to the store's list without a strategy fails to compile (E5).
 */
import { blindRefer } from './blind-refer.js';
import { inviteBridge } from './invite-bridge.js';
import { ivrHandback } from './ivr-handback.js';
import type { TransferStrategies } from './transfer-strategy.js';

export const transferStrategies: TransferStrategies = {
  invite: inviteBridge,
  // INVITE then BYE: the same requests as the bridge; the AI leg's BYE follows the bridge in both.
  bye: inviteBridge,
  refer: blindRefer,
  ivr: ivrHandback,
};
