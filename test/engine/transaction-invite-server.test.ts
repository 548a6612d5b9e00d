import { describe, expect, it } from 'vitest';
import { buildResponse } from '../../engine/sip/error-response.js';
import type { SipMessage } from '../../engine/sip/message.js';
import { serializeMessage } from '../../engine/sip/serializer.js';
import type { InviteServerTransaction } from '../../engine/transaction/invite-server-transaction.js';
import { TransactionError } from '../../engine/transaction/transaction-error.js';
import {
  FakeTransport,
  PEER_TCP,
  PEER_UDP,
  ackFor,
  flush,
  inbound,
  incomingInvite,
  makeLayer,
} from './transaction-test-kit.js';

function receive(branch = 'z9hG4bK-ist-1', source = PEER_UDP) {
  const kit = makeLayer();
  const invite = incomingInvite(branch, source.protocol.toUpperCase());
  kit.layer.handleInbound(inbound(invite, source));
  const tx = kit.events.requests[0]!.tx as InviteServerTransaction;
  return { ...kit, invite, tx, source };
}

function answer(invite: SipMessage, status: number, reason: string): SipMessage {
  return buildResponse(invite, status, reason, 'uas-tag')!;
}

describe('INVITE server transaction (RFC 3261 §17.2.1, RFC 6026 §7.1)', () => {
  it('passes a new INVITE up once and absorbs its retransmissions, re-sending the last provisional', async () => {
    const { layer, transport, events, invite, tx } = receive();
    expect(events.requests).toHaveLength(1);
    expect(tx.state).toBe('proceeding');

    layer.handleInbound(inbound(invite)); // before any response: nothing to re-send
    expect(transport.take()).toEqual([]);

    await tx.respond(answer(invite, 100, 'Trying'));
    const ringing = await tx.sendResponse(answer(invite, 180, 'Ringing'));
    const firstTwo = transport.take();
    expect(firstTwo.map((r) => r.message.status)).toEqual([100, 180]);
    expect(ringing.bytes.equals(firstTwo[1]!.bytes)).toBe(true);
    expect(ringing.result.bytes).toBe(ringing.bytes.length);

    layer.handleInbound(inbound(invite));
    layer.handleInbound(inbound(invite));
    const resent = transport.take();
    expect(resent).toHaveLength(2);
    expect(resent.every((r) => r.bytes.equals(ringing.bytes))).toBe(true);
    expect(events.requests).toHaveLength(1);
    expect(tx.lastStatus).toBe(180);
  });

  it('sends responses to the Via received/rport address (RFC 3581)', async () => {
    const { transport, invite, tx } = receive();
    await tx.respond(answer(invite, 180, 'Ringing'));
    const [sent] = transport.take();
    expect(sent!.hop).toEqual({ protocol: 'udp', host: '127.0.0.2', port: 5062 });
    expect(sent!.opts).toBeUndefined();
  });

  it('retransmits a non-2xx final on Timer G doubling up to T2; Timer H reports onServerTimeout', async () => {
    const { clock, transport, events, invite, tx, layer } = receive();
    await tx.respond(answer(invite, 486, 'Busy Here'));
    expect(tx.state).toBe('completed');
    expect(tx.finalSent).toBe(true);
    clock.advance(31_999);
    const sent = transport.take();
    expect(FakeTransport.gaps(sent)).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    expect(new Set(sent.map((r) => r.bytes.toString('latin1'))).size).toBe(1);
    expect(events.serverTimeouts).toEqual([]);

    clock.advance(1);
    expect(events.serverTimeouts).toEqual([tx]);
    expect(tx.state).toBe('terminated');
    expect(layer.size().server).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('re-sends the final for a retransmitted INVITE in Completed', async () => {
    const { transport, invite, tx, layer } = receive();
    const sent = await tx.sendResponse(answer(invite, 404, 'Not Found'));
    transport.take();
    layer.handleInbound(inbound(invite));
    const [again] = transport.take();
    expect(again!.bytes.equals(sent.bytes)).toBe(true);
  });

  it('absorbs the ACK for a non-2xx (Confirmed), then its retransmissions, and ends on Timer I (T4)', async () => {
    const { clock, transport, events, invite, tx, layer } = receive();
    await tx.respond(answer(invite, 486, 'Busy Here'));
    transport.take();
    const ack = ackFor(invite, 'uas-tag');
    layer.handleInbound(inbound(ack));
    expect(tx.state).toBe('confirmed');
    layer.handleInbound(inbound(ack));
    layer.handleInbound(inbound(invite));
    expect(events.requests).toHaveLength(1); // the ACKs never reached the TU

    clock.advance(4_999);
    expect(transport.take()).toEqual([]); // Timer G stopped, INVITE absorbed
    expect(tx.state).toBe('confirmed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size().server).toBe(0);
    expect(events.serverTimeouts).toEqual([]);
  });

  it('refuses a second final response', async () => {
    const { invite, tx } = receive();
    await tx.respond(answer(invite, 486, 'Busy Here'));
    const err: unknown = await tx.respond(answer(invite, 200, 'OK')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransactionError);
    expect((err as TransactionError).code).toBe('invalid-state');
    await expect(tx.respond(invite)).rejects.toMatchObject({ code: 'invalid-response' });
  });

  it('enters Accepted on a 2xx: no retransmission of its own, INVITEs absorbed, ACK passed up, TU 2xx re-sends go out, Timer L ends it', async () => {
    const { clock, transport, events, invite, tx, layer } = receive();
    const ok = answer(invite, 200, 'OK');
    await tx.respond(ok);
    expect(tx.state).toBe('accepted');
    transport.take();

    clock.advance(10_000);
    layer.handleInbound(inbound(invite));
    expect(transport.take()).toEqual([]);

    await tx.respond(ok); // the TU's own 2xx retransmission
    expect(transport.take().map((r) => r.message.status)).toEqual([200]);
    await expect(tx.respond(answer(invite, 500, 'Server Error'))).rejects.toMatchObject({
      code: 'invalid-state',
    });

    const ackSameBranch = ackFor(invite, 'uas-tag');
    layer.handleInbound(inbound(ackSameBranch));
    expect(events.requests.map((e) => [e.req.method, e.tx])).toEqual([
      ['INVITE', tx],
      ['ACK', undefined],
    ]);

    clock.advance(32_000 - 10_000 - 1);
    expect(tx.state).toBe('accepted');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size().server).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('over TCP: answers on the request’s connection, no Timer G, Timer I zero', async () => {
    const { clock, transport, events, invite, tx, layer } = receive('z9hG4bK-ist-tcp', PEER_TCP);
    await tx.respond(answer(invite, 480, 'Temporarily Unavailable'));
    const [sent] = transport.take();
    expect(sent!.opts).toEqual({ connectionId: 'conn-7' });
    expect(sent!.hop.protocol).toBe('tcp');
    clock.advance(20_000);
    expect(transport.take()).toEqual([]);
    layer.handleInbound(inbound(ackFor(invite, 'uas-tag'), PEER_TCP));
    expect(tx.state).toBe('terminated');
    expect(layer.size().server).toBe(0);
    expect(clock.pending).toBe(0);
    expect(events.requests).toHaveLength(1);
  });

  it('a final response that cannot be sent ends the transaction and rejects respond()', async () => {
    const { transport, invite, tx, layer } = receive();
    transport.failWith = new Error('EPIPE');
    await expect(tx.respond(answer(invite, 503, 'Service Unavailable'))).rejects.toThrow('EPIPE');
    await flush();
    expect(tx.state).toBe('terminated');
    expect(layer.size().server).toBe(0);
  });

  it('sends exactly the bytes it reports', async () => {
    const { transport, invite, tx } = receive();
    const res = answer(invite, 180, 'Ringing');
    const sent = await tx.sendResponse(res);
    expect(sent.bytes.equals(serializeMessage(res))).toBe(true);
    expect(transport.take()[0]!.bytes.equals(sent.bytes)).toBe(true);
  });
});
