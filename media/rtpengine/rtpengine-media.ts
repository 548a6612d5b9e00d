/**
 * {@link MediaPort} over rtpengine (ng protocol): Baton's call id is rtpengine's call-id, the
 * parties' tags its from-tag / to-tag. Remembers which calls it anchored, so a prompt for a call
 * whose offer never went through rtpengine is `not-anchored` without asking, and `release` of
 * such a call sends nothing.
 */
import { resolve } from 'node:path';
import type { MediaConfig } from '../../config/schema.js';
import {
  MediaError,
  type AnchorAnswer,
  type AnchorRequest,
  type MediaPort,
  type PlayPromptRequest,
  type PlayPromptResult,
} from '../media-port.js';
import { NgClient } from './ng-client.js';

/**
 * rtpengine rewrites the SDP's origin (o=) and session-level connection (c=) to its own address
 * as well as the media ports, so neither party learns the other's address.
 */
const REPLACE = ['origin', 'session-connection'] as const;

export interface RtpengineMediaOptions {
  readonly config: MediaConfig['rtpengine'];
  readonly onStrayError?: (err: Error) => void;
}

export class RtpengineMedia implements MediaPort {
  private readonly ng: NgClient;
  private readonly anchored = new Set<string>();

  constructor(opts: RtpengineMediaOptions) {
    this.ng = new NgClient({ ...opts.config, onStrayError: opts.onStrayError });
  }

  async offer(request: AnchorRequest): Promise<string> {
    const reply = await this.ng.command('offer', {
      'call-id': request.callId,
      'from-tag': request.fromTag,
      sdp: request.sdp,
      replace: REPLACE,
    });
    this.anchored.add(request.callId);
    return sdpOf('offer', reply);
  }

  async answer(request: AnchorAnswer): Promise<string> {
    if (!this.anchored.has(request.callId)) {
      throw new MediaError('not-anchored', `call ${request.callId} was not offered to rtpengine`);
    }
    const reply = await this.ng.command('answer', {
      'call-id': request.callId,
      'from-tag': request.fromTag,
      'to-tag': request.toTag,
      sdp: request.sdp,
      replace: REPLACE,
    });
    return sdpOf('answer', reply);
  }

  async playPrompt(request: PlayPromptRequest): Promise<PlayPromptResult> {
    if (!this.anchored.has(request.callId)) {
      return {
        played: false,
        reason: 'not-anchored',
        detail: 'the call’s media does not flow through rtpengine',
      };
    }
    try {
      // rtpengine opens the file itself: hand it the path as Baton resolves it.
      const reply = await this.ng.command('play media', {
        'call-id': request.callId,
        'from-tag': request.legTag,
        file: resolve(request.file),
      });
      const duration = reply['duration'];
      return {
        played: true,
        durationMs: typeof duration === 'number' && duration > 0 ? duration : undefined,
      };
    } catch (err) {
      if (err instanceof MediaError) return { played: false, reason: err.code, detail: err.message };
      throw err;
    }
  }

  async release(callId: string): Promise<void> {
    if (!this.anchored.delete(callId)) return;
    await this.ng.command('delete', { 'call-id': callId });
  }

  async ping(): Promise<void> {
    const reply = await this.ng.command('ping');
    if (reply['result'] !== 'pong') {
      throw new MediaError('bad-response', `rtpengine ping answered ${String(reply['result'])}`);
    }
  }

  close(): void {
    this.anchored.clear();
    this.ng.close();
  }
}

function sdpOf(command: string, reply: Readonly<Record<string, unknown>>): string {
  const sdp = reply['sdp'];
  if (typeof sdp !== 'string' || sdp === '') {
    throw new MediaError('bad-response', `rtpengine ${command} answered without SDP`);
  }
  return sdp;
}
