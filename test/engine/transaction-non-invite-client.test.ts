import { describe, expect, it } from 'vitest';
import type { NonInviteClientTransaction } from '../../engine/transaction/non-invite-client-transaction.js';
import {
  FakeTransport,
  HOP_TCP,
  HOP_UDP,
  PEER_TCP,
  flush,
  inbound,
  makeLayer,
  outgoingRequest,
  recordingClient,
  responseTo,
} from './transaction-test-kit.js';

function start(method = 'BYE', branch = 'z9hG4bK-nict-1', hop = HOP_UDP) {
  const kit = makeLayer();
  const handlers = recordingClient();
  const req = outgoingRequest(method, branch, hop.protocol.toUpperCase());
  const tx = kit.layer.createClientTransaction(req, hop, handlers) as NonInviteClientTransaction;
  return { ...kit, handlers, req, tx };
}

describe('non-INVITE client transaction (RFC 3261 §17.1.2)', () => {
  it('retransmits on Timer E doubling from T1 and capped at T2, until Timer F (64·T1) reports a timeout', () => {
    const { clock, transport, handlers, tx, layer } = start();
    expect(tx.state).toBe('trying');
    clock.advance(31_999);
    const sent = transport.take();
    expect(FakeTransport.gaps(sent)).toEqual([500, 1000, 2000, 4000, 4000, 4000, 4000, 4000, 4000, 4000]);
    expect(sent.every((r) => r.bytes.equals(tx.bytes))).toBe(true);
    expect(handlers.timeouts).toBe(0);

    clock.advance(1);
    expect(handlers.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('after a provisional keeps retransmitting, every T2; Timer F still applies in Proceeding', () => {
    const { clock, transport, handlers, tx, layer, req } = start();
    clock.advance(600); // one retransmission at 500; the next is due at 1500
    layer.handleInbound(inbound(responseTo(req, 100, 'Trying')));
    expect(tx.state).toBe('proceeding');
    expect(handlers.responses.map((r) => r.status)).toEqual([100]);

    clock.advance(20_000);
    const sent = transport.take();
    expect(sent.map((r) => r.at)).toEqual([0, 500, 1500, 5500, 9500, 13500, 17500]);

    clock.advance(32_000 - 20_600);
    expect(handlers.timeouts).toBe(1);
    expect(tx.state).toBe('terminated');
  });

  it('passes the final response up once, absorbs its retransmissions, and ends on Timer K (T4)', () => {
    const { clock, transport, handlers, tx, layer, req } = start('OPTIONS');
    const ok = responseTo(req, 200, 'OK');
    layer.handleInbound(inbound(ok));
    expect(tx.state).toBe('completed');
    expect(tx.finalSeen).toBe(true);
    layer.handleInbound(inbound(ok));
    expect(handlers.responses.map((r) => r.status)).toEqual([200]);

    transport.take();
    clock.advance(4_999);
    expect(transport.take()).toEqual([]); // Timer E stopped
    expect(tx.state).toBe('completed');
    clock.advance(1);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
  });

  it('over TCP: never retransmits, and Timer K is zero', () => {
    const { clock, transport, tx, layer, req } = start('INFO', 'z9hG4bK-nict-tcp', HOP_TCP);
    clock.advance(10_000);
    expect(transport.take()).toHaveLength(1);
    layer.handleInbound(inbound(responseTo(req, 481, 'Call/Transaction Does Not Exist'), PEER_TCP));
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
    expect(clock.pending).toBe(0);
  });

  it('over TCP: Timer F still reports a timeout', () => {
    const { clock, handlers } = start('REFER', 'z9hG4bK-nict-tcp-f', HOP_TCP);
    clock.advance(32_000);
    expect(handlers.timeouts).toBe(1);
  });

  it('a failed retransmission ends the transaction with onTransportError', async () => {
    const { clock, transport, handlers, tx, layer } = start('NOTIFY');
    await expect(tx.sent).resolves.toMatchObject({ remotePort: 5062 });
    transport.failWith = new Error('EHOSTUNREACH');
    clock.advance(500);
    await flush();
    expect(handlers.transportErrors.map((e) => e.message)).toEqual(['EHOSTUNREACH']);
    expect(tx.state).toBe('terminated');
    expect(layer.size().client).toBe(0);
    expect(clock.pending).toBe(0);
  });
});
