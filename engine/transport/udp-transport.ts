/**
 * One UDP listen point: a dgram socket (udp4 or udp6) that receives datagrams and sends from
 * the same socket, so the source port of everything we send is the advertised one (what a
 * peer's rport / symmetric-response logic expects, RFC 3581 §4 and RFC 3261 §18.2.1).
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { advertisedHostOf, isWildcardHost, type ListenSpec } from './contact-spec.js';
import { TransportError } from './transport-error.js';
import type { ListenPoint, SendResult } from './transport-types.js';

/** Receive buffer asked of the kernel: bursts of 1,500+ calls/s must not overflow it (Linux caps it at rmem_max). */
export const DEFAULT_UDP_RECV_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpTransportOptions {
  spec: ListenSpec;
  recvBufferBytes?: number;
  onDatagram(data: Buffer, rinfo: RemoteInfo, transport: UdpTransport): void;
  /** Socket-level trouble after bind (logged by the owner; the socket stays up). */
  onError(err: Error, transport: UdpTransport): void;
}

export interface UdpTransport {
  readonly listenPoint: ListenPoint;
  /** The local address reported for this socket: the bound one, or the advertised host for a wildcard bind. */
  readonly localAddress: string;
  /** Send one datagram to an IP literal. */
  send(bytes: Buffer, address: string, port: number): Promise<SendResult>;
  close(): Promise<void>;
}

/** Bind a UDP socket for `spec`; resolves once it listens (port 0 resolved to the real port). */
export async function openUdpTransport(opts: UdpTransportOptions): Promise<UdpTransport> {
  const { spec } = opts;
  // ipv6Only: an udp6 wildcard socket must not also take IPv4 traffic (as v4-mapped
  // addresses) from the udp4 socket bound to the same port.
  const socket = createSocket({ type: spec.family === 6 ? 'udp6' : 'udp4', ipv6Only: spec.family === 6 });
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error): void => reject(err);
    socket.once('error', onError);
    socket.bind({ address: spec.bindHost, port: spec.port, exclusive: true }, () => {
      socket.off('error', onError);
      resolve();
    });
  });
  return new UdpListen(socket, opts);
}

class UdpListen implements UdpTransport {
  readonly listenPoint: ListenPoint;
  readonly localAddress: string;
  readonly #socket: Socket;
  #closed = false;

  constructor(socket: Socket, opts: UdpTransportOptions) {
    this.#socket = socket;
    const { spec } = opts;
    const advertisedHost = advertisedHostOf(spec);
    this.listenPoint = {
      protocol: 'udp',
      bindHost: spec.bindHost,
      advertisedHost,
      port: socket.address().port,
      family: spec.family,
    };
    this.localAddress = isWildcardHost(spec.bindHost) ? advertisedHost : spec.bindHost;
    try {
      socket.setRecvBufferSize(opts.recvBufferBytes ?? DEFAULT_UDP_RECV_BUFFER_BYTES);
    } catch (err) {
      opts.onError(err as Error, this);
    }
    socket.on('message', (data, rinfo) => opts.onDatagram(data, rinfo, this));
    socket.on('error', (err) => opts.onError(err, this));
  }

  send(bytes: Buffer, address: string, port: number): Promise<SendResult> {
    if (this.#closed) return Promise.reject(new TransportError('ECLOSED', 'UDP transport closed'));
    return new Promise((resolve, reject) => {
      const failed = (err: Error): void =>
        reject(
          new TransportError('ESEND', `UDP send to ${address}:${port} failed: ${err.message}`, {
            cause: err,
          }),
        );
      try {
        this.#socket.send(bytes, port, address, (err) => {
          if (err) {
            failed(err);
            return;
          }
          resolve({
            protocol: 'udp',
            localAddress: this.localAddress,
            localPort: this.listenPoint.port,
            remoteAddress: address,
            remotePort: port,
            bytes: bytes.length,
          });
        });
      } catch (err) {
        // Argument errors (a bad port) are thrown synchronously by dgram.
        failed(err as Error);
      }
    });
  }

  close(): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closed = true;
    return new Promise((resolve) => this.#socket.close(() => resolve()));
  }
}
