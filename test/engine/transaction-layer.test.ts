import { describe, expect, it } from 'vitest';
import { buildResponse } from '../../engine/sip/error-response.js';
import type { SipMessage } from '../../engine/sip/message.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import type { InviteServerTransaction } from '../../engine/transaction/invite-server-transaction.js';
import { TransactionError } from '../../engine/transaction/transaction-error.js';
import { TransactionLayer } from '../../engine/transaction/transaction-layer.js';
import { FakeClock } from '../support/fake-clock.js';
import {
  FakeTransport,
  HOP_UDP,
  PEER_UDP,
  TIMERS,
  ackFor,
  cancelFor,
  flush,
  inbound,
  incomingInvite,
  incomingRequest,
  makeLayer,
  outgoingInvite,
  outgoingRequest,
  parse,
  recordingClient,
  responseTo,
} from './transaction-test-kit.js';

/** RFC 4475 §3.4.1 "inv2543": no branch, no From tag, no Max-Forwards, no Content-Length. */
const INV2543 = `INVITE sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.client.example.net;user=phone>
Record-Route: <sip:UserB@example.com;maddr=ss1.example.com>
To: sip:+16505552222@ss1.example.net;user=phone
Call-ID: inv2543.1717@ift.client.example.com
CSeq: 56 INVITE
Content-Type: application/sdp

v=0
o=mhandley 29739 7272939 IN IP4 192.0.2.5
s=-
c=IN IP4 192.0.2.5
t=0 0
m=audio 49217 RTP/AVP 0
`;

function ack2543(toTag: string): SipMessage {
  return parse(`ACK sip:UserB@example.com SIP/2.0
Via: SIP/2.0/UDP iftgw.example.com
From: <sip:+13035551111@ift.client.example.net;user=phone>
To: sip:+16505552222@ss1.example.net;user=phone;tag=${toTag}
Call-ID: inv2543.1717@ift.client.example.com
CSeq: 56 ACK
Content-Length: 0

`);
}

describe('transaction layer: server matching (RFC 3261 §17.2.3)', () => {
  it('passes an ACK for a 2xx (new branch) up with no transaction', async () => {
    const { layer, events } = makeLayer();
    const invite = incomingInvite('z9hG4bK-inv-1');
    layer.handleInbound(inbound(invite));
    await events.requests[0]!.tx!.respond(buildResponse(invite, 200, 'OK', 'uas-tag')!);
    layer.handleInbound(inbound(ackFor(invite, 'uas-tag', 'z9hG4bK-ack-for-2xx')));
    expect(events.requests.map((e) => [e.req.method, e.tx === undefined])).toEqual([
      ['INVITE', false],
      ['ACK', true],
    ]);
  });

  it('matches a CANCEL to the INVITE transaction with the same branch and sent-by, in its own transaction (§9.2)', async () => {
    const { layer, events, transport } = makeLayer();
    const invite = incomingInvite('z9hG4bK-inv-2');
    layer.handleInbound(inbound(invite));
    const inviteTx = events.requests[0]!.tx!;
    const cancel = cancelFor(invite);
    layer.handleInbound(inbound(cancel));

    expect(events.requests).toHaveLength(2);
    const { req, tx: cancelTx, cancelled } = events.requests[1]!;
    expect(req.method).toBe('CANCEL');
    expect(cancelled).toBe(inviteTx);
    expect(cancelTx).toBeDefined();
    expect(cancelTx).not.toBe(inviteTx);

    await cancelTx!.respond(buildResponse(cancel, 200, 'OK', 'uas-tag')!);
    transport.take();
    layer.handleInbound(inbound(cancel)); // retransmitted CANCEL: re-answered, not passed up
    expect(transport.take().map((r) => `${r.message.status} ${r.message.get('cseq')}`)).toEqual([
      '200 1 CANCEL',
    ]);
    expect(events.requests).toHaveLength(2);
    expect(layer.size().server).toBe(2);
  });

  it('passes a CANCEL that matches no INVITE up with `cancelled` undefined', () => {
    const { layer, events } = makeLayer();
    layer.handleInbound(inbound(cancelFor(incomingInvite('z9hG4bK-gone'))));
    expect(events.requests).toHaveLength(1);
    expect(events.requests[0]!.tx).toBeDefined();
    expect(events.requests[0]!.cancelled).toBeUndefined();
  });

  it('keeps requests with the same branch from different sent-by apart', () => {
    const { layer, events } = makeLayer();
    const a = incomingRequest('OPTIONS', 'z9hG4bK-same');
    const b = parse(serializeMessage(a).toString('latin1').replace('127.0.0.2:5062', '127.0.0.3:5062'));
    expect(b.get('via')).toBe('SIP/2.0/UDP 127.0.0.3:5062;branch=z9hG4bK-same');
    layer.handleInbound(inbound(a));
    layer.handleInbound(inbound(b));
    expect(events.requests).toHaveLength(2);
    expect(layer.size().server).toBe(2);
  });

  it('matches RFC 2543 requests (no magic cookie) by Request-URI, From tag, Call-ID, CSeq and top Via (RFC 4475 inv2543)', async () => {
    const { layer, events, transport } = makeLayer();
    const invite = parse(INV2543);
    layer.handleInbound(inbound(invite));
    expect(events.requests).toHaveLength(1);
    const tx = events.requests[0]!.tx as InviteServerTransaction;
    expect(tx.branch).toBe('');

    layer.handleInbound(inbound(parse(INV2543))); // a retransmission
    expect(events.requests).toHaveLength(1);

    await tx.respond(buildResponse(invite, 486, 'Busy Here', 'uas-2543')!);
    const [busy] = transport.take();
    expect(busy!.hop).toEqual({ protocol: 'udp', host: 'iftgw.example.com', port: 5060 });

    layer.handleInbound(inbound(ack2543('someone-else'))); // To tag is not ours: not this transaction
    expect(tx.state).toBe('completed');
    expect(events.requests.map((e) => e.req.method)).toEqual(['INVITE', 'ACK']);

    layer.handleInbound(inbound(ack2543('uas-2543')));
    expect(tx.state).toBe('confirmed');
    expect(events.requests).toHaveLength(2);
  });

  it('matches an RFC 2543 CANCEL to its INVITE', () => {
    const { layer, events } = makeLayer();
    layer.handleInbound(inbound(parse(INV2543)));
    const cancel = parse(
      INV2543.replace('INVITE sip:', 'CANCEL sip:')
        .replace('CSeq: 56 INVITE', 'CSeq: 56 CANCEL')
        .split('\n\n')[0] + '\nContent-Length: 0\n\n',
    );
    layer.handleInbound(inbound(cancel));
    expect(events.requests[1]!.req.method).toBe('CANCEL');
    expect(events.requests[1]!.cancelled).toBe(events.requests[0]!.tx);
  });

  it('drops a request whose top Via cannot be read', () => {
    const { layer, events } = makeLayer();
    const req = incomingRequest('OPTIONS', 'z9hG4bK-x');
    req.set('Via', 'garbage');
    layer.handleInbound(inbound(req));
    expect(events.requests).toEqual([]);
    expect(layer.size().server).toBe(0);
  });
});

describe('transaction layer: client matching (RFC 3261 §17.1.3)', () => {
  it('routes responses by branch and CSeq method; anything else is stray', () => {
    const { layer, events } = makeLayer();
    const invite = outgoingInvite('z9hG4bK-c-1');
    const handlers = recordingClient();
    layer.createClientTransaction(invite, HOP_UDP, handlers);

    const forCancel = responseTo(invite, 200, 'OK', 'b');
    forCancel.set('CSeq', '314 CANCEL');
    layer.handleInbound(inbound(forCancel));
    const otherBranch = responseTo(outgoingInvite('z9hG4bK-unknown'), 180, 'Ringing', 'b');
    layer.handleInbound(inbound(otherBranch));
    expect(events.stray).toEqual([forCancel, otherBranch]);
    expect(handlers.responses).toEqual([]);

    layer.handleInbound(inbound(responseTo(invite, 180, 'Ringing', 'b')));
    expect(handlers.responses.map((r) => r.status)).toEqual([180]);
  });

  it('refuses requests it cannot run a transaction for, with a code', () => {
    const { layer } = makeLayer();
    const noBranch = outgoingRequest('OPTIONS', 'z9hG4bK-nb');
    noBranch.set('Via', 'SIP/2.0/UDP 127.0.0.1:5060');
    const codeOf = (fn: () => unknown): string | undefined => {
      try {
        fn();
      } catch (err) {
        return err instanceof TransactionError ? err.code : 'not a TransactionError';
      }
      return undefined;
    };
    expect(codeOf(() => layer.createClientTransaction(noBranch, HOP_UDP, recordingClient()))).toBe(
      'missing-branch',
    );
    const ack = outgoingRequest('ACK', 'z9hG4bK-ack');
    expect(codeOf(() => layer.createClientTransaction(ack, HOP_UDP, recordingClient()))).toBe(
      'ack-not-transactional',
    );
    const bye = outgoingRequest('BYE', 'z9hG4bK-dup');
    layer.createClientTransaction(bye, HOP_UDP, recordingClient());
    expect(codeOf(() => layer.createClientTransaction(bye, HOP_UDP, recordingClient()))).toBe(
      'duplicate-transaction',
    );
    expect(layer.size().client).toBe(1);
  });

  it('sends stateless messages (ACK for 2xx) without a transaction', async () => {
    const { layer, transport } = makeLayer();
    const ack = outgoingRequest('ACK', 'z9hG4bK-ack-2xx');
    const result = await layer.sendStateless(ack, HOP_UDP);
    expect(result.remotePort).toBe(5062);
    expect(transport.takeLines()).toEqual(['ACK sip:bob@127.0.0.2:5062 SIP/2.0']);
    expect(layer.size()).toEqual({ client: 0, server: 0 });
  });
});

describe('transaction layer: robustness and bookkeeping', () => {
  it('reports a throwing TU handler to the logger and keeps working', () => {
    const clock = new FakeClock();
    const logged: Array<{ obj: object; msg: string }> = [];
    const log = (obj: object, msg: string): void => {
      logged.push({ obj, msg });
    };
    let calls = 0;
    const layer = new TransactionLayer({
      transport: new FakeTransport(clock),
      timers: TIMERS,
      clock,
      logger: { debug: log, warn: log, error: log },
      handlers: {
        onRequest: () => {
          calls++;
          throw new Error('TU bug');
        },
        onStrayResponse: () => undefined,
      },
    });
    layer.handleInbound(inbound(incomingRequest('OPTIONS', 'z9hG4bK-a')));
    layer.handleInbound(inbound(incomingRequest('OPTIONS', 'z9hG4bK-b')));
    expect(calls).toBe(2);
    expect(logged).toHaveLength(2);
    expect(logged[0]!.obj).toMatchObject({ err: { message: 'TU bug' } });
    expect(layer.size().server).toBe(2);
  });

  it('leaves no transaction and no timer behind once everything has terminated', async () => {
    const { layer, clock, events } = makeLayer();
    // Client side: an INVITE rejected, an INVITE answered, a BYE answered, an OPTIONS timing out.
    const rejected = outgoingInvite('z9hG4bK-all-1');
    layer.createClientTransaction(rejected, HOP_UDP, recordingClient());
    layer.handleInbound(inbound(responseTo(rejected, 404, 'Not Found', 'x')));
    const answered = outgoingInvite('z9hG4bK-all-2');
    layer.createClientTransaction(answered, HOP_UDP, recordingClient());
    layer.handleInbound(inbound(responseTo(answered, 200, 'OK', 'y')));
    const bye = outgoingRequest('BYE', 'z9hG4bK-all-3');
    layer.createClientTransaction(bye, HOP_UDP, recordingClient());
    layer.handleInbound(inbound(responseTo(bye, 200, 'OK')));
    layer.createClientTransaction(outgoingRequest('OPTIONS', 'z9hG4bK-all-4'), HOP_UDP, recordingClient());
    // Cancelled INVITE: CANCEL, 200 to the CANCEL, 487 to the INVITE.
    const cancelled = outgoingInvite('z9hG4bK-all-5');
    const ctx = layer.createClientTransaction(cancelled, HOP_UDP, recordingClient());
    layer.handleInbound(inbound(responseTo(cancelled, 180, 'Ringing', 'z')));
    const cancelTx = ctx.cancel!()!;
    layer.handleInbound(inbound(responseTo(cancelTx.request, 200, 'OK', 'z')));
    layer.handleInbound(inbound(responseTo(cancelled, 487, 'Request Terminated', 'z')));

    // Server side: INVITE → 486 + ACK, INVITE → 200 (+ ACK for 2xx), INVITE → 603 never ACKed,
    // CANCELled INVITE, BYE → 200.
    const inv1 = incomingInvite('z9hG4bK-srv-1');
    layer.handleInbound(inbound(inv1));
    const inv2 = incomingInvite('z9hG4bK-srv-2');
    layer.handleInbound(inbound(inv2));
    const inv3 = incomingInvite('z9hG4bK-srv-3');
    layer.handleInbound(inbound(inv3));
    const inv4 = incomingInvite('z9hG4bK-srv-4');
    layer.handleInbound(inbound(inv4));
    const cancel4 = cancelFor(inv4);
    layer.handleInbound(inbound(cancel4));
    const srvBye = incomingRequest('BYE', 'z9hG4bK-srv-5');
    layer.handleInbound(inbound(srvBye));
    const txs = events.requests.map((e) => e.tx!);
    await txs[0]!.respond(buildResponse(inv1, 486, 'Busy Here', 't1')!);
    layer.handleInbound(inbound(ackFor(inv1, 't1')));
    await txs[1]!.respond(buildResponse(inv2, 200, 'OK', 't2')!);
    layer.handleInbound(inbound(ackFor(inv2, 't2', 'z9hG4bK-srv-2-ack')));
    await txs[2]!.respond(buildResponse(inv3, 603, 'Decline', 't3')!);
    await txs[4]!.respond(buildResponse(cancel4, 200, 'OK', 't4')!);
    await txs[3]!.respond(buildResponse(inv4, 487, 'Request Terminated', 't4')!);
    layer.handleInbound(inbound(ackFor(inv4, 't4')));
    await txs[5]!.respond(buildResponse(srvBye, 200, 'OK', 't5')!);

    expect(layer.size().client).toBeGreaterThan(0);
    expect(layer.size().server).toBeGreaterThan(0);
    clock.advance(64 * TIMERS.T1);
    await flush();
    expect(layer.size()).toEqual({ client: 0, server: 0 });
    expect(clock.pending).toBe(0);
    expect(events.serverTimeouts).toEqual([txs[2]]);
  });

  it('dispose() stops every timer without calling anyone', () => {
    const { layer, clock, events } = makeLayer();
    const handlers = recordingClient();
    layer.createClientTransaction(outgoingInvite('z9hG4bK-d-1'), HOP_UDP, handlers);
    layer.handleInbound(inbound(incomingInvite('z9hG4bK-d-2'), PEER_UDP));
    layer.dispose();
    expect(layer.size()).toEqual({ client: 0, server: 0 });
    expect(clock.pending).toBe(0);
    clock.advance(100_000);
    expect(handlers.timeouts).toBe(0);
    expect(events.serverTimeouts).toEqual([]);
  });
});
