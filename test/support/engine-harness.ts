/**
 * Starts the real engine in-process on loopback (SIP udp+tcp on an ephemeral port, admin on
 * another) and connects real, unmodified drachtio-srf apps to it.
 */
import Srf from 'drachtio-srf';
import { createEngine, type Engine } from '../../engine/create-engine.js';
import { allocPort } from './ports.js';

export interface EngineUnderTest {
  engine: Engine;
  sipPort: number;
  adminPort: number;
  secret: string;
  /** srf apps connected through `connectApp`, disconnected by `close`. */
  apps: Srf[];
  close(): Promise<void>;
}

export async function startEngine(opts: { t1?: number; host?: string } = {}): Promise<EngineUnderTest> {
  const host = opts.host ?? '127.0.0.1';
  const secret = 'cymru';
  const t1 = opts.t1 ?? 500;
  let engine: Engine | undefined;
  let sipPort = 0;
  // The port comes from the kernel's ephemeral range; if something takes it before the engine
  // binds, take another.
  for (let attempt = 1; engine === undefined; attempt++) {
    sipPort = await allocPort();
    try {
      engine = await createEngine({
        contacts: [`sip:${host.includes(':') ? `[${host}]` : host}:${sipPort};transport=udp,tcp`],
        admin: { host: '127.0.0.1', port: 0, secret },
        timers: { T1: t1, T2: Math.max(t1 * 8, 100), T4: Math.max(t1 * 10, 100) },
      });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EADDRINUSE' || attempt >= 3) throw err;
    }
  }
  const apps: Srf[] = [];
  return {
    engine,
    sipPort,
    adminPort: engine.adminPort,
    secret,
    apps,
    async close() {
      for (const app of apps) {
        // srf asserts when disconnect() is called on an app that already disconnected.
        try {
          app.disconnect();
        } catch {
          // already gone
        }
      }
      await engine.close();
    },
  };
}

/** Connect a drachtio-srf app to the engine and wait for its `connect` event. */
export async function connectApp(eut: EngineUnderTest, tags?: string[]): Promise<Srf> {
  const srf = tags ? new Srf(tags) : new Srf();
  eut.apps.push(srf);
  await new Promise<void>((resolve, reject) => {
    srf.once('connect', () => resolve());
    srf.once('error', (err: Error) => reject(err));
    void srf.connect({ host: '127.0.0.1', port: eut.adminPort, secret: eut.secret });
  });
  // srf sends `route` frames after authentication; give them a turn of the event loop to land.
  await new Promise((r) => setTimeout(r, 20));
  return srf;
}
