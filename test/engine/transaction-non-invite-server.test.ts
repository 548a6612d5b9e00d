import { describe, expect, it } from 'vitest';
import { buildResponse } from '../../engine/sip/error-response.js';
import type { NonInviteServerTransaction } from '../../engine/transaction/non-invite-server-transaction.js';
import { PEER_TCP, PEER_UDP, inbound, incomingRequest, makeLayer } from './transaction-test-kit.js';

function receive(method = 'BYE', branch = 'z9hG4bK-nist-1', source = PEER_UDP) {
  const kit = makeLayer();
  const req = incomingRequest(method, branch, source.protocol.toUpperCase());
  kit.layer.handleInbound(inbound(req, source));
  const tx = kit.events.requests[0]!.tx as NonInviteServerTransaction;
  return { ...kit, req, tx, source };
}

describe('non-INVITE server transaction (RFC 3261 §17.2.2)', () => {
  it('absorbs retransmissions in Trying, re-answers them with the last response after, and ends on Timer J (64·T1)', async () => {
    const { clock, transport, events, req, tx, layer } = receive();
    expect(tx.state).toBe('trying');
    layer.handleInbound(inbound(req));
    expect(transport.take()).toEqual([]);

    const trying = await tx.sendResponse(buildResponse(req, 100, 'Trying')!);
    expect(tx.state).toBe('proceeding');
    transport.take();
    layer.handleInbound(inbound(req));
    expect(transport.take().map((r) => r.bytes.equals(trying.bytes))).toEqual([true]);

    const ok = await tx.sendResponse(buildResponse(req, 200, 'OK')!);
    expect(tx.state).toBe('completed');
    expect(tx.finalSent).toBe(true);
    expect(tx.lastStatus).toBe(200);
    transport.take();
    clock.advance(10_000);
    layer.handleInbound(inbound(req));
    layer.handleInbound(inbound(req));
    const resent = transport.take();
    expect(resent).toHaveLength(2);
    expect(resent.every((r) => r.bytes.equals(ok.bytes))).toBe(true);
    expect(events.requests).toHaveLength(1);

    clock.advance(32_000 - 10_000 - 1);
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size().server).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('refuses a response after the final', async () => {
    const { req, tx } = receive('OPTIONS');
    await tx.respond(buildResponse(req, 200, 'OK')!);
    await expect(tx.respond(buildResponse(req, 500, 'Server Error')!)).rejects.toMatchObject({
      code: 'invalid-state',
    });
  });

  it('over TCP: Timer J is zero, so the transaction ends with its final response', async () => {
    const { clock, transport, req, tx, layer } = receive('INFO', 'z9hG4bK-nist-tcp', PEER_TCP);
    await tx.respond(buildResponse(req, 200, 'OK')!);
    expect(tx.state).toBe('terminated');
    expect(transport.take()[0]!.opts).toEqual({ connectionId: 'conn-7' });
    expect(layer.size().server).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
