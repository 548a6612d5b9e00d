import { describe, expect, it } from 'vitest';
import { getTag, parseVia, topVia } from '../../engine/sip/header-values.js';
import type { InviteClientTransaction } from '../../engine/transaction/invite-client-transaction.js';
import type { NonInviteClientTransaction } from '../../engine/transaction/non-invite-client-transaction.js';
import { TransactionError } from '../../engine/transaction/transaction-error.js';
import {
  FakeTransport,
  HOP_TCP,
  HOP_UDP,
  PEER_TCP,
  flush,
  inbound,
  makeLayer,
  outgoingInvite,
  recordingClient,
  responseTo,
} from './transaction-test-kit.js';

function start(branch = 'z9hG4bK-ict-1', hop = HOP_UDP) {
  const kit = makeLayer();
  const handlers = recordingClient();
  const invite = outgoingInvite(branch, hop.protocol.toUpperCase());
  const tx = kit.layer.createClientTransaction(invite, hop, handlers) as InviteClientTransaction;
  return { ...kit, handlers, invite, tx };
}

describe('INVITE client transaction (RFC 3261 §17.1.1, RFC 6026 §7.2)', () => {
  it('retransmits over UDP on Timer A, doubling from T1, until Timer B (64·T1) reports a timeout', async () => {
    const { clock, transport, handlers, tx, layer } = start();
    clock.advance(31_999);
    const sent = transport.take();
    expect(sent.map((r) => r.at)).toEqual([0, 500, 1500, 3500, 7500, 15500, 31500]);
    expect(FakeTransport.gaps(sent)).toEqual([500, 1000, 2000, 4000, 8000, 16000]);
    expect(sent.every((r) => r.bytes.equals(tx.bytes))).toBe(true);
    expect(handlers.timeouts).toBe(0);

    clock.advance(1);
    expect(handlers.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size()).toEqual({ client: 0, server: 0 });
    expect(clock.pending).toBe(0);
    await expect(tx.sent).resolves.toMatchObject({
      protocol: 'udp',
      remoteAddress: '127.0.0.2',
      remotePort: 5062,
    });
  });

  it('stops retransmitting on a provisional, passes it up and no longer runs Timer B', () => {
    const { clock, transport, handlers, tx, layer, invite } = start();
    transport.take();
    layer.handleInbound(inbound(responseTo(invite, 180, 'Ringing', 'b-1')));
    expect(tx.state).toBe('proceeding');
    expect(tx.provisionalSeen).toBe(true);
    expect(handlers.responses.map((r) => r.status)).toEqual([180]);

    clock.advance(120_000);
    expect(transport.take()).toEqual([]);
    expect(handlers.timeouts).toBe(0);
    expect(tx.state).toBe('proceeding');
  });

  it('ACKs a 4xx itself, with the headers §17.1.1.3 prescribes', () => {
    const { transport, handlers, tx, layer, invite } = start();
    transport.take();
    const busy = responseTo(invite, 486, 'Busy Here', 'b-486');
    layer.handleInbound(inbound(busy));

    expect(tx.state).toBe('completed');
    expect(tx.finalSeen).toBe(true);
    expect(handlers.responses.map((r) => r.status)).toEqual([486]);
    const [ack, ...rest] = transport.take();
    expect(rest).toEqual([]);
    const msg = ack!.message;
    expect(ack!.hop).toEqual(HOP_UDP);
    expect(msg.method).toBe('ACK');
    expect(msg.uri).toBe(invite.uri);
    expect(msg.getAll('via')).toEqual([topVia(invite.getAll('via'))]);
    expect(parseVia(msg.get('via')!)!.params.get('branch')).toBe('z9hG4bK-ict-1');
    expect(msg.get('to')).toBe(busy.get('to'));
    expect(getTag(msg.get('to'))).toBe('b-486');
    expect(msg.get('from')).toBe(invite.get('from'));
    expect(msg.get('call-id')).toBe(invite.get('call-id'));
    expect(msg.get('cseq')).toBe('314 ACK');
    expect(msg.getAll('route')).toEqual(['<sip:proxy1.example.com;lr>', '<sip:proxy2.example.com;lr>']);
    expect(msg.get('max-forwards')).toBe('70');
    expect(msg.body.length).toBe(0);
  });

  it('re-sends the same ACK for each retransmitted final response without passing it up, then ends on Timer D', () => {
    const { clock, transport, handlers, tx, layer, invite } = start();
    transport.take();
    const busy = responseTo(invite, 486, 'Busy Here', 'b-486');
    layer.handleInbound(inbound(busy));
    const [firstAck] = transport.take();

    clock.advance(1000);
    layer.handleInbound(inbound(busy));
    layer.handleInbound(inbound(busy));
    const again = transport.take();
    expect(again).toHaveLength(2);
    expect(again.every((r) => r.bytes.equals(firstAck!.bytes))).toBe(true);
    expect(handlers.responses).toHaveLength(1);

    clock.advance(32_000 - 1000 - 1);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
  });

  it('enters Accepted on a 2xx: no ACK of its own, every 2xx retransmission to the TU, Timer M ends it', () => {
    const { clock, transport, handlers, tx, layer, events, invite } = start();
    transport.take();
    const ok = responseTo(invite, 200, 'OK', 'b-200');
    layer.handleInbound(inbound(ok));
    expect(tx.state).toBe('accepted');
    expect(transport.take()).toEqual([]);

    clock.advance(1000);
    layer.handleInbound(inbound(ok));
    layer.handleInbound(inbound(responseTo(invite, 183, 'Session Progress', 'b-200')));
    expect(handlers.responses.map((r) => r.status)).toEqual([200, 200]);
    expect(transport.take()).toEqual([]);

    clock.advance(31_000 - 1);
    expect(tx.state).toBe('accepted');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);

    layer.handleInbound(inbound(ok));
    expect(events.stray.map((r) => r.status)).toEqual([200]);
    expect(handlers.responses).toHaveLength(2);
  });

  it('over TCP: no Timer A, Timer B still applies', () => {
    const { clock, transport, handlers } = start('z9hG4bK-ict-tcp', HOP_TCP);
    clock.advance(31_999);
    expect(transport.take()).toHaveLength(1);
    clock.advance(1);
    expect(handlers.timeouts).toBe(1);
  });

  it('over TCP: Timer D is zero, so the ACK is sent and the transaction ends at once', () => {
    const { transport, tx, layer, invite, clock } = start('z9hG4bK-ict-tcp2', HOP_TCP);
    transport.take();
    layer.handleInbound(inbound(responseTo(invite, 603, 'Decline', 'b-603'), PEER_TCP));
    expect(transport.takeLines()).toEqual(['ACK sip:bob@127.0.0.2:5062 SIP/2.0']);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('reports a transport failure, rejects `sent` and terminates', async () => {
    const kit = makeLayer();
    const handlers = recordingClient();
    const refused = new Error('connect ECONNREFUSED');
    kit.transport.failWith = refused;
    const tx = kit.layer.createClientTransaction(outgoingInvite('z9hG4bK-ict-err'), HOP_TCP, handlers);
    await expect(tx.sent).rejects.toBe(refused);
    await flush();
    expect(handlers.transportErrors).toEqual([refused]);
    expect(kit.layer.size().client).toBe(0);
    expect(kit.clock.pending).toBe(0);
  });
});

describe('CANCEL of a client INVITE (RFC 3261 §9.1)', () => {
  const reason: Array<[string, string]> = [['Reason', 'SIP;cause=200;text="Call completed elsewhere"']];

  it('holds the CANCEL until a provisional arrives, then sends it built per §9.1', () => {
    const { transport, tx, layer, invite } = start();
    transport.take();
    const cancelTx = tx.cancel(reason) as NonInviteClientTransaction;
    expect(cancelTx.state).toBe('unsent');
    expect(transport.take()).toEqual([]);

    layer.handleInbound(inbound(responseTo(invite, 180, 'Ringing', 'b-1')));
    const [cancel, ...rest] = transport.take();
    expect(rest).toEqual([]);
    expect(cancelTx.state).toBe('trying');
    expect(cancel!.hop).toEqual(HOP_UDP);
    expect(cancel!.bytes.equals(cancelTx.bytes)).toBe(true);
    const msg = cancel!.message;
    expect(msg.method).toBe('CANCEL');
    expect(msg.uri).toBe(invite.uri);
    expect(msg.getAll('via')).toEqual([topVia(invite.getAll('via'))]);
    expect(msg.get('to')).toBe(invite.get('to'));
    expect(msg.get('from')).toBe(invite.get('from'));
    expect(msg.get('call-id')).toBe(invite.get('call-id'));
    expect(msg.get('cseq')).toBe('314 CANCEL');
    expect(msg.getAll('route')).toEqual(invite.getAll('route'));
    expect(msg.get('max-forwards')).toBe('70');
    expect(msg.get('reason')).toBe('SIP;cause=200;text="Call completed elsewhere"');
  });

  it('sends the CANCEL at once after a provisional; its 200 and the INVITE’s 487 reach the right transactions', () => {
    const { transport, tx, layer, invite, handlers } = start();
    layer.handleInbound(inbound(responseTo(invite, 100, 'Trying')));
    transport.take();
    const cancelHandlers = recordingClient();
    const cancelTx = tx.cancel([], cancelHandlers)!;
    const [cancel] = transport.take();
    expect(cancel!.message.method).toBe('CANCEL');

    layer.handleInbound(inbound(responseTo(cancel!.message, 200, 'OK', 'b-1')));
    expect(cancelHandlers.responses.map((r) => r.status)).toEqual([200]);
    expect(cancelTx.finalSeen).toBe(true);
    layer.handleInbound(inbound(responseTo(invite, 487, 'Request Terminated', 'b-1')));
    expect(handlers.responses.map((r) => r.status)).toEqual([100, 487]);
    expect(transport.takeLines()).toEqual(['ACK sip:bob@127.0.0.2:5062 SIP/2.0']);
    expect(tx.cancel()).toBeUndefined();
  });

  it('a CANCEL asked for from inside onResponse(1xx) goes out right after that step', () => {
    const kit = makeLayer();
    const invite = outgoingInvite('z9hG4bK-reentrant');
    let cancelled = false;
    const tx = kit.layer.createClientTransaction(invite, HOP_UDP, {
      onResponse: () => {
        if (!cancelled) cancelled = tx.cancel?.() !== undefined;
      },
      onTimeout: () => undefined,
      onTransportError: () => undefined,
    });
    kit.transport.take();
    kit.layer.handleInbound(inbound(responseTo(invite, 180, 'Ringing', 'b-1')));
    expect(cancelled).toBe(true);
    expect(kit.transport.takeLines()).toEqual(['CANCEL sip:bob@127.0.0.2:5062 SIP/2.0']);
  });

  it('never sends a held CANCEL when a final response arrives first', async () => {
    const { transport, tx, layer, invite, clock } = start();
    transport.take();
    const cancelTx = tx.cancel(reason)!;
    layer.handleInbound(inbound(responseTo(invite, 486, 'Busy Here', 'b-486')));
    expect(transport.takeLines()).toEqual(['ACK sip:bob@127.0.0.2:5062 SIP/2.0']);
    const err: unknown = await cancelTx.sent.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionError);
    expect((err as TransactionError).code).toBe('cancel-abandoned');
    expect(tx.cancel()).toBeUndefined();

    clock.advance(60_000);
    expect(transport.take()).toEqual([]);
    expect(layer.size().client).toBe(0);
  });

  it('gives up a held CANCEL when Timer B fires', async () => {
    const { tx, clock, transport, handlers, layer } = start('z9hG4bK-cancel-b', HOP_TCP);
    transport.take();
    const cancelTx = tx.cancel()!;
    clock.advance(32_000);
    expect(handlers.timeouts).toBe(1);
    expect(transport.take()).toEqual([]);
    await expect(cancelTx.sent).rejects.toMatchObject({ code: 'cancel-abandoned' });
    expect(layer.size().client).toBe(0);
  });

  it('gives the INVITE up 64·T1 after the CANCEL when no final response comes (§9.1)', () => {
    const { tx, clock, handlers, layer, invite, transport } = start('z9hG4bK-cancel-wait', HOP_TCP);
    layer.handleInbound(inbound(responseTo(invite, 180, 'Ringing', 'b-1'), PEER_TCP));
    tx.cancel();
    transport.take();
    clock.advance(31_999);
    expect(handlers.timeouts).toBe(0);
    clock.advance(1);
    expect(handlers.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
