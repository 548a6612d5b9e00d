/**
 * The fallback prompt step of a transfer session: play the prompt to the caller and say when it
 * is over, so the session can go on with its fallback.
 */
import type { MediaPort } from '../../media/media-port.js';
import { CALLER_MEDIA_TAG } from '../call/media-anchor.js';
import type { Logger } from '../observability/logger.js';

export interface FallbackPromptContext {
  /** Without a media backend the prompt is skipped with a log line. */
  readonly media: MediaPort | undefined;
  readonly callId: string;
  readonly log: Logger;
  /** True once the session has ended: a late answer from the backend is then dropped. */
  readonly ended: () => boolean;
  /** The prompt is playing for `durationMs`: its end is reported when that has run out. */
  readonly playing: (durationMs: number) => void;
  /** The prompt is over (or never started). */
  readonly done: () => void;
}

/**
 * Play `file` to the caller, and report it done when it has played (after the duration the
 * backend gives), or at once when it cannot play: the fallback never waits on media.
 */
export function playFallbackPrompt(file: string, ctx: FallbackPromptContext): void {
  const { media, log } = ctx;
  if (media === undefined) {
    log.info({ prompt: file }, 'fallback prompt skipped: no media backend configured');
    ctx.done();
    return;
  }
  void media.playPrompt({ callId: ctx.callId, legTag: CALLER_MEDIA_TAG, file }).then((result) => {
    if (ctx.ended()) return;
    if (!result.played) {
      log.warn({ prompt: file, reason: result.reason, detail: result.detail }, 'fallback prompt not played');
      ctx.done();
      return;
    }
    log.info({ prompt: file, durationMs: result.durationMs }, 'fallback prompt playing');
    if (result.durationMs === undefined) {
      ctx.done();
      return;
    }
    ctx.playing(result.durationMs);
  });
}
