/**
 * The per-call media anchor (`gateway/call/media-anchor.ts`) over fake ports: which SDP goes
 * through the media backend, in what order the agent's answers reach the call, and what a
 * failing backend or an early CANCEL leaves behind.
 */
import { describe, expect, it } from 'vitest';
import { MediaError, type MediaPort } from '../../media/media-port.js';
import { anchoredDialer } from '../../gateway/call/media-anchor.js';
import { createRootLogger } from '../../gateway/observability/logger.js';
import type {
  DialEvents,
  DialFailure,
  DialRequest,
  DialerPort,
  DialogPort,
  OutgoingInvitePort,
} from '../../gateway/call/ports.js';

const log = createRootLogger({ level: 'silent' });
const REQUEST: DialRequest = {
  uri: 'sip:agent@127.0.0.1',
  from: '<sip:a@b>',
  to: '<sip:c@d>',
  headers: {},
  sdp: 'caller-sdp',
};

interface Calls {
  offers: string[];
  answers: string[];
  released: string[];
}

function fakeMedia(calls: Calls, fail: { offer?: boolean } = {}): MediaPort {
  return {
    offer: (r) => {
      calls.offers.push(r.sdp);
      if (fail.offer === true) return Promise.reject(new MediaError('timeout', 'no reply'));
      return Promise.resolve(`anchored(${r.sdp})`);
    },
    answer: (r) => {
      calls.answers.push(r.sdp);
      return Promise.resolve(`anchored(${r.sdp})`);
    },
    playPrompt: () => Promise.resolve({ played: true, durationMs: undefined }),
    release: (callId) => {
      calls.released.push(callId);
      return Promise.resolve();
    },
    ping: () => Promise.resolve(),
    close: () => undefined,
  };
}

function fakeDialog(sdp: string | undefined): DialogPort & { sdp: string | undefined } {
  const dialog = {
    sdp,
    sipCallId: 'agent-leg',
    get remoteSdp() {
      return dialog.sdp;
    },
    setHandlers: () => undefined,
    reinvite: () => Promise.resolve(undefined),
    request: () => Promise.resolve({ status: 200, reason: 'OK', cseq: 1 }),
    hangup: () => Promise.resolve(),
  };
  return dialog;
}

/** A dialer that records what it was asked and hands back the events to drive. */
function fakeDialer(): {
  dialer: DialerPort;
  sent: Array<{ request: DialRequest; events: DialEvents }>;
  cancels: number;
} {
  const state = {
    sent: [] as Array<{ request: DialRequest; events: DialEvents }>,
    cancels: 0,
    dialer: {
      dial(request: DialRequest, events: DialEvents): OutgoingInvitePort {
        state.sent.push({ request, events });
        return { cancel: () => void state.cancels++ };
      },
    },
  };
  return state;
}

/** What the call saw, in order. */
function recorder(): { events: DialEvents; seen: string[]; dialogs: DialogPort[] } {
  const seen: string[] = [];
  const dialogs: DialogPort[] = [];
  return {
    seen,
    dialogs,
    events: {
      onProvisional: (status, _reason, sdp) => seen.push(`${status} ${sdp ?? '-'}`),
      onAnswered: (dialog) => {
        dialogs.push(dialog);
        seen.push(`200 ${dialog.remoteSdp ?? '-'}`);
      },
      onFailed: (failure: DialFailure) =>
        seen.push(failure.kind === 'rejected' ? `${failure.status}` : failure.detail),
    },
  };
}

const settle = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 0));

describe('anchoredDialer', () => {
  it('sends the backend’s offer to the agent and hands the call the backend’s answers, in order', async () => {
    const calls: Calls = { offers: [], answers: [], released: [] };
    const inner = fakeDialer();
    const call = recorder();
    anchoredDialer(inner.dialer, fakeMedia(calls), 'call-1', log).dial(REQUEST, call.events);
    await settle();
    expect(inner.sent.map((s) => s.request.sdp)).toEqual(['anchored(caller-sdp)']);
    const { events } = inner.sent[0]!;
    events.onProvisional(180, 'Ringing', undefined);
    events.onProvisional(183, 'Session Progress', 'agent-early');
    const dialog = fakeDialog('agent-sdp');
    events.onAnswered(dialog, undefined);
    await settle();
    expect(call.seen).toEqual(['180 -', '183 anchored(agent-early)', '200 anchored(agent-sdp)']);
    expect(calls.answers).toEqual(['agent-early', 'agent-sdp']);
    // A later SDP from the agent (a re-INVITE) is the dialog's own again: it is not anchored.
    dialog.sdp = 'agent-reinvite-sdp';
    expect(call.dialogs[0]!.remoteSdp).toBe('agent-reinvite-sdp');
  });

  it('passes a dial without SDP (late offer, a transfer’s legs) through untouched', () => {
    const calls: Calls = { offers: [], answers: [], released: [] };
    const inner = fakeDialer();
    const call = recorder();
    anchoredDialer(inner.dialer, fakeMedia(calls), 'call-2', log).dial(
      { ...REQUEST, sdp: undefined },
      call.events,
    );
    expect(inner.sent).toHaveLength(1);
    expect(inner.sent[0]!.events).toBe(call.events);
    expect(calls.offers).toEqual([]);
  });

  it('dials with the caller’s own SDP when the backend fails the offer, and leaves the answer alone', async () => {
    const calls: Calls = { offers: [], answers: [], released: [] };
    const inner = fakeDialer();
    const call = recorder();
    anchoredDialer(inner.dialer, fakeMedia(calls, { offer: true }), 'call-3', log).dial(REQUEST, call.events);
    await settle();
    expect(inner.sent.map((s) => s.request.sdp)).toEqual(['caller-sdp']);
    inner.sent[0]!.events.onAnswered(fakeDialog('agent-sdp'), undefined);
    expect(call.seen).toEqual(['200 agent-sdp']);
    expect(calls.answers).toEqual([]);
  });

  it('never sends the INVITE when CANCEL comes while the offer is with the backend: 487, call released', async () => {
    const calls: Calls = { offers: [], answers: [], released: [] };
    const inner = fakeDialer();
    const call = recorder();
    const outgoing = anchoredDialer(inner.dialer, fakeMedia(calls), 'call-4', log).dial(REQUEST, call.events);
    outgoing.cancel();
    await settle();
    expect(inner.sent).toHaveLength(0);
    expect(call.seen).toEqual(['487']);
    expect(calls.released).toEqual(['call-4']);
  });

  it('CANCELs the INVITE once it is out', async () => {
    const calls: Calls = { offers: [], answers: [], released: [] };
    const inner = fakeDialer();
    const outgoing = anchoredDialer(inner.dialer, fakeMedia(calls), 'call-5', log).dial(
      REQUEST,
      recorder().events,
    );
    await settle();
    outgoing.cancel();
    expect(inner.cancels).toBe(1);
  });
});
