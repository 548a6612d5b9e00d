/**
 * `media:` the media backend that anchors calls and plays prompts (a failed transfer's
 * `fallback.prompt`). `none` keeps RTP off Baton entirely: prompts are skipped with a log line.
 */
import { z } from 'zod';

export const DEFAULT_RTPENGINE_NG_PORT = 22222;

const rtpengineSchema = z.strictObject({
  host: z
    .string()
    .min(1)
    .default('127.0.0.1')
    .describe('IPv4 address or host name of rtpengine’s ng control socket (rtpengine --listen-ng).'),
  port: z
    .number()
    .int()
    .min(1)
    .max(65_535)
    .default(DEFAULT_RTPENGINE_NG_PORT)
    .describe('UDP port of rtpengine’s ng control socket.'),
  timeoutMs: z
    .number()
    .int()
    .min(50)
    .max(60_000)
    .default(1_000)
    .describe(
      'How long one ng command may wait for its reply, in milliseconds; an offer that times out leaves ' +
        'the call unanchored (media flows end to end, prompts are skipped).',
    ),
});

export const mediaSchema = z.strictObject({
  backend: z
    .enum(['none', 'rtpengine'])
    .default('none')
    .describe(
      'none: SDP passes between legs unchanged and prompts are skipped; rtpengine: each call with an ' +
        'SDP offer in its INVITE is anchored through rtpengine, which plays the fallback prompts.',
    ),
  rtpengine: rtpengineSchema.prefault({}).describe('rtpengine (backend rtpengine).'),
});
