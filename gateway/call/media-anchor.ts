/**
 * Anchors a call's first offer/answer through the media backend, so its RTP flows through it and
 * prompts can be played to the caller: a {@link DialerPort} decorator for one call. The caller's
 * SDP offer goes to the backend before the INVITE to the AI agent carries it; the agent's answer
 * (in a 18x with early media and in the 200) goes through the backend before it reaches the
 * caller. The call and transfer logic see only rewritten SDP.
 *
 * What is anchored: a call whose INVITE carries an SDP offer, from the first offer/answer on.
 * What is not: a late-offer INVITE (no SDP: the dial passes through unchanged), re-INVITEs either
 * way, and the legs a transfer dials (the human's, a new INVITE to the AI agent): their SDP moves
 * end to end, so after a bridged transfer the caller's media leaves the anchor. A backend that
 * fails leaves the call unanchored (a warning); a prompt for it is then skipped, never the call.
 */
import type { Logger } from '../observability/logger.js';
import type { MediaPort } from '../../media/media-port.js';
import type { DialEvents, DialerPort, DialogPort, OutgoingInvitePort } from './ports.js';

/** The caller's party in the backend: the prompt of a failed transfer plays to it. */
export const CALLER_MEDIA_TAG = 'caller';
/** The AI agent's party in the backend. */
export const AGENT_MEDIA_TAG = 'agent';

/** A CANCEL that came while the offer was with the backend: the INVITE is never sent. */
const CANCELLED_BEFORE_SENT = { kind: 'rejected', status: 487, reason: 'Request Terminated' } as const;

export function anchoredDialer(inner: DialerPort, media: MediaPort, callId: string, log: Logger): DialerPort {
  return {
    dial(request, events): OutgoingInvitePort {
      const offer = request.sdp;
      if (offer === undefined) return inner.dial(request, events);
      let sent: OutgoingInvitePort | undefined;
      let cancelled = false;
      void media
        .offer({ callId, fromTag: CALLER_MEDIA_TAG, sdp: offer })
        .then(
          (sdp) => ({ sdp, anchored: true }),
          (err: unknown) => {
            log.warn({ err }, 'media not anchored: the offer did not go through the media backend');
            return { sdp: offer, anchored: false };
          },
        )
        .then(({ sdp, anchored }) => {
          if (cancelled) {
            if (anchored) release(media, callId, log);
            events.onFailed(CANCELLED_BEFORE_SENT);
            return;
          }
          if (anchored) log.debug('media anchored: offer');
          sent = inner.dial({ ...request, sdp }, anchored ? answering(events, media, callId, log) : events);
        });
      return {
        cancel: () => {
          if (sent !== undefined) sent.cancel();
          else cancelled = true;
        },
      };
    },
  };
}

/**
 * The agent's answers through the backend, in order: a 18x's SDP and the 200's both become the
 * backend's, and nothing overtakes an answer still with the backend.
 */
function answering(events: DialEvents, media: MediaPort, callId: string, log: Logger): DialEvents {
  let queue: Promise<void> = Promise.resolve();
  const later = (step: () => Promise<void> | void): void => {
    queue = queue.then(step).catch((err: unknown) => log.error({ err }, 'agent leg event failed'));
  };
  const anchor = async (sdp: string): Promise<string> => {
    try {
      return await media.answer({ callId, fromTag: CALLER_MEDIA_TAG, toTag: AGENT_MEDIA_TAG, sdp });
    } catch (err) {
      // The agent already sends to the backend, which knows the caller from the offer: the
      // caller sending straight to the agent still makes a two-way call, just not anchored.
      log.warn({ err }, 'media not anchored: the answer did not go through the media backend');
      return sdp;
    }
  };
  return {
    onProvisional: (status, reason, sdp) =>
      later(async () =>
        events.onProvisional(status, reason, sdp === undefined ? undefined : await anchor(sdp)),
      ),
    onAnswered: (dialog, ack) =>
      later(async () => {
        const sdp = dialog.remoteSdp;
        events.onAnswered(sdp === undefined ? dialog : withAnchoredSdp(dialog, sdp, await anchor(sdp)), ack);
      }),
    onFailed: (failure) => later(() => events.onFailed(failure)),
  };
}

/** `dialog` whose `remoteSdp` is the backend's answer until the far end sends a new one. */
function withAnchoredSdp(dialog: DialogPort, original: string, anchored: string): DialogPort {
  return {
    get sipCallId() {
      return dialog.sipCallId;
    },
    get remoteSdp() {
      const current = dialog.remoteSdp;
      return current === original ? anchored : current;
    },
    setHandlers: (handlers) => dialog.setHandlers(handlers),
    reinvite: (sdp) => dialog.reinvite(sdp),
    request: (request) => dialog.request(request),
    hangup: (headers) => dialog.hangup(headers),
  };
}

function release(media: MediaPort, callId: string, log: Logger): void {
  media.release(callId).catch((err: unknown) => log.warn({ err }, 'media not released'));
}
