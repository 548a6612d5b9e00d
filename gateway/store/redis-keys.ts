/**
 * The Redis store's key layout, all under the configured prefix (e.g. `baton:`): records at
 * `call:<id>` and `transfer:<id>`, sorted-set indexes at `calls:…` and `transfers:…` (see
 * redis-scripts.ts for what they hold).
 */
import type { CallState, TransferState } from './store-port.js';

/** Every key the store uses, derived from the configured prefix. */
export class RedisKeys {
  readonly callPrefix: string;
  readonly transferPrefix: string;
  readonly allCalls: string;
  readonly endedCalls: string;
  readonly allTransfers: string;
  readonly endedTransfers: string;

  constructor(readonly prefix: string) {
    this.callPrefix = `${prefix}call:`;
    this.transferPrefix = `${prefix}transfer:`;
    this.allCalls = `${prefix}calls:all`;
    this.endedCalls = `${prefix}calls:ended`;
    this.allTransfers = `${prefix}transfers:all`;
    this.endedTransfers = `${prefix}transfers:ended`;
  }

  callsInState(state: CallState): string {
    return `${this.prefix}calls:state:${state}`;
  }
  callsOfInstance(instanceId: string): string {
    return `${this.prefix}calls:instance:${instanceId}`;
  }
  transfersInState(state: TransferState): string {
    return `${this.prefix}transfers:state:${state}`;
  }
  transfersOfCall(callId: string): string {
    return `${this.prefix}transfers:call:${callId}`;
  }
}
