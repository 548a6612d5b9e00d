/**
 * The store's view of a transfer session ({@link TransferSessionRecord}) built from the session
 * machine's state, and the one-line history details people read in it. Pure.
 */
import type { TransferHistoryEntry, TransferSessionRecord } from '../store/store-port.js';
import {
  storeState,
  type TransferSessionEvent,
  type TransferSessionState,
} from './transfer-session-state.js';
import type { TransferFailure, TransferMode } from './transfer-types.js';

export interface RecordInput {
  readonly id: string;
  readonly callId: string;
  /** The target of the current (last) attempt. */
  readonly target: string;
  readonly mode: TransferMode;
  readonly state: TransferSessionState;
  /** The latest failed attempt's failure (a fallback may have followed). */
  readonly failure: TransferFailure | undefined;
  /** The status that decided success (the human's 200, a `SIP/2.0 200` sipfrag). */
  readonly successStatus: number | undefined;
  readonly vars: Readonly<Record<string, string>>;
  readonly history: readonly TransferHistoryEntry[];
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export function transferRecord(input: RecordInput): TransferSessionRecord {
  const { state } = input;
  const base = {
    id: input.id,
    callId: input.callId,
    target: input.target,
    mode: state.name === 'ended' ? state.outcome.mode : input.mode,
    createdAt: input.createdAt,
    updatedAt: input.updatedAt,
    vars: input.vars,
    history: input.history,
    ...(input.failure !== undefined && { failureReason: input.failure.code }),
    ...sipStatus(input),
  };
  const stored = storeState(state);
  if (state.name === 'ended' || stored === 'ended') {
    const outcome = state.name === 'ended' ? state.outcome.outcome : 'abandoned';
    return { ...base, state: 'ended', outcome, endedAt: input.updatedAt };
  }
  return { ...base, state: stored };
}

function sipStatus(input: RecordInput): { sipStatus?: number } {
  const ended = input.state.name === 'ended' ? input.state.outcome.outcome : undefined;
  if (ended === 'completed' && input.successStatus !== undefined) return { sipStatus: input.successStatus };
  const status = input.failure?.sipStatus;
  return status === undefined ? {} : { sipStatus: status };
}

/** What an event did, for the history (`180 Ringing`, `failed: busy (486)`). */
export function describeEvent(event: TransferSessionEvent): string {
  switch (event.type) {
    case 'start':
      return 'attempt sent';
    case 'refer-accepted':
      return 'REFER accepted';
    case 'progress':
      return `${event.status} ${event.reason}`.trim();
    case 'answered':
      return `answered ${event.status}`;
    case 'bridged':
      return 'caller bridged to the target';
    case 'failed':
      return `failed: ${event.failure.code}${event.failure.sipStatus !== undefined ? ` (${event.failure.sipStatus})` : ''}`;
    case 'timer':
      return `${event.timer} timer expired`;
    case 'caller-hungup':
      return 'caller hung up';
    case 'agent-hungup':
      return 'AI agent hung up';
    case 'human-hungup':
      return 'target hung up';
    case 'cancel':
      return `cancelled by ${event.by}`;
    case 'prompt-done':
      return 'fallback prompt done';
    default: {
      const unknown: never = event;
      throw new Error(`unhandled transfer event ${JSON.stringify(unknown)}`);
    }
  }
}
