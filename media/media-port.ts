/**
 * The media layer as the gateway sees it, whatever the backend (rtpengine today): anchor a call's
 * media (each SDP offer and answer goes through the backend, which rewrites it to its own ports),
 * play a prompt to one party of an anchored call, and release the call. Only what Baton uses.
 *
 * A call is named by Baton's call id and each party by a tag of Baton's choosing (the B2BUA's two
 * SIP dialogs have different Call-IDs, so neither SIP identity would name the whole call).
 */

/** One side of an anchored call: the party that sent the SDP offer, and the one that answers it. */
export interface AnchorRequest {
  readonly callId: string;
  /** The offering party's tag (RFC 3261 From-tag in the backend's terms). */
  readonly fromTag: string;
  /** The SDP as received from that party. */
  readonly sdp: string;
}

export interface AnchorAnswer extends AnchorRequest {
  /** The answering party's tag. */
  readonly toTag: string;
}

export interface PlayPromptRequest {
  readonly callId: string;
  /** The party that hears the prompt. */
  readonly legTag: string;
  /** An audio file (WAV); a relative path is taken from Baton's working directory. */
  readonly file: string;
}

/** Why a prompt did not play; the call goes on without it. */
export type PromptSkipReason = MediaErrorCode;

export type PlayPromptResult =
  | {
      readonly played: true;
      /** How long the prompt lasts, when the backend says (rtpengine does). */
      readonly durationMs: number | undefined;
    }
  | { readonly played: false; readonly reason: PromptSkipReason; readonly detail: string };

export interface MediaPort {
  /**
   * Anchor an SDP offer: the returned SDP (the backend's addresses) goes to the other party.
   * @throws MediaError
   */
  offer(request: AnchorRequest): Promise<string>;
  /**
   * Anchor the answer to the offer `fromTag` made: the returned SDP goes back to the offerer.
   * @throws MediaError
   */
  answer(request: AnchorAnswer): Promise<string>;
  /** Play `file` to `legTag`. Never rejects: a prompt that cannot play is a result, not a failure. */
  playPrompt(request: PlayPromptRequest): Promise<PlayPromptResult>;
  /**
   * Forget the call and free its ports; a call never anchored is a no-op.
   * @throws MediaError
   */
  release(callId: string): Promise<void>;
  /** Whether the backend answers. @throws MediaError */
  ping(): Promise<void>;
  /** Close the control socket. */
  close(): void;
}

export type MediaErrorCode =
  /** The backend did not answer within its timeout. */
  | 'timeout'
  /** The control message could not be sent (socket error). */
  | 'unreachable'
  /** The backend answered with an error (its reason is in the message). */
  | 'refused'
  /** The backend answered something that is not a valid reply to the command. */
  | 'bad-response'
  /** The call is not anchored through this backend (late offer, or the offer failed). */
  | 'not-anchored'
  /** The media port is closed. */
  | 'closed';

/** A media backend failure; `code` is the verdict, the message is for people. */
export class MediaError extends Error {
  readonly code: MediaErrorCode;

  constructor(code: MediaErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MediaError';
    this.code = code;
  }
}
