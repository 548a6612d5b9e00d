import { describe, it, expect } from 'vitest';
import { parseVia } from '../../engine/sip/header-values.js';
import { responseHop } from '../../engine/transport/response-hop.js';
import type { Hop, MessageSource } from '../../engine/transport/transport-types.js';

const udpSource: MessageSource = {
  protocol: 'udp',
  remoteAddress: '192.0.2.4',
  remotePort: 37001,
  localAddress: '127.0.0.1',
  localPort: 5060,
};
const tcpSource: MessageSource = { ...udpSource, protocol: 'tcp', connectionId: 'tcp-1' };

describe('responseHop (RFC 3261 §18.2.2, RFC 3581 §4)', () => {
  it.each<[string, MessageSource, Hop]>([
    // §18.2.2: no received/rport → sent-by host and port
    [
      'SIP/2.0/UDP 192.0.2.4:5070;branch=z9hG4bK1',
      udpSource,
      { protocol: 'udp', host: '192.0.2.4', port: 5070 },
    ],
    // sent-by without port → 5060
    ['SIP/2.0/UDP 192.0.2.4;branch=z9hG4bK1', udpSource, { protocol: 'udp', host: '192.0.2.4', port: 5060 }],
    // received, no rport → received and the sent-by port
    [
      'SIP/2.0/UDP pc33.example.com:5070;branch=z9hG4bK1;received=192.0.2.4',
      udpSource,
      { protocol: 'udp', host: '192.0.2.4', port: 5070 },
    ],
    // RFC 3581 §4: received + rport → that address and port (the NAT binding)
    [
      'SIP/2.0/UDP 10.1.1.1:4540;received=192.0.2.1;rport=9988;branch=z9hG4bKkjshdyff',
      udpSource,
      { protocol: 'udp', host: '192.0.2.1', port: 9988 },
    ],
    // rport filled, host equal to the source (no received) → sent-by host (= source) and rport
    [
      'SIP/2.0/UDP 192.0.2.4:5060;rport=37001;branch=z9hG4bK1',
      udpSource,
      { protocol: 'udp', host: '192.0.2.4', port: 37001 },
    ],
    // an rport this transport did not fill → the source itself
    [
      'SIP/2.0/UDP 10.0.0.9:5060;rport;branch=z9hG4bK1',
      udpSource,
      { protocol: 'udp', host: '192.0.2.4', port: 37001 },
    ],
    // maddr is not honoured (would let a peer aim our responses at a third party)
    [
      'SIP/2.0/UDP 192.0.2.4:5070;maddr=239.255.255.1;branch=z9hG4bK1',
      udpSource,
      { protocol: 'udp', host: '192.0.2.4', port: 5070 },
    ],
    // IPv6 sent-by and received
    [
      'SIP/2.0/UDP [2001:db8::9]:5070;branch=z9hG4bK1;received=2001:db8::1',
      { ...udpSource, remoteAddress: '2001:db8::1' },
      { protocol: 'udp', host: '2001:db8::1', port: 5070 },
    ],
    // TCP: the connection is used (connectionId); the hop is the reconnect target: received
    // (or sent-by host) and sent-by port, rport ignored
    [
      'SIP/2.0/TCP 10.1.1.1:5062;received=192.0.2.4;rport=37001;branch=z9hG4bK1',
      tcpSource,
      { protocol: 'tcp', host: '192.0.2.4', port: 5062 },
    ],
    ['SIP/2.0/TCP 192.0.2.4;branch=z9hG4bK1', tcpSource, { protocol: 'tcp', host: '192.0.2.4', port: 5060 }],
  ])('%s', (via, source, hop) => {
    expect(responseHop(parseVia(via), source)).toEqual(hop);
  });

  it('answers an unparseable Via to the source', () => {
    expect(responseHop(parseVia('garbage'), udpSource)).toEqual({
      protocol: 'udp',
      host: '192.0.2.4',
      port: 37001,
    });
  });
});
