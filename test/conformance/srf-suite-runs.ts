/**
 * Plumbing shared by the runs of drachtio-srf's own integration cases: a fresh engine per run,
 * srf's SIPp scenarios started from `node_modules/drachtio-srf/test/scenarios`, and the mapping
 * of srf's docker testbed names (`drachtio-sut`, `sipp-uas-*`, 172.29.0.x) to loopback ports.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { connectApp, startEngine, type EngineUnderTest } from '../support/engine-harness.js';
import {
  describeFailure,
  expectSippPass,
  runSipp,
  startSippServer,
  type SippResult,
  type SippServer,
  type SippTransport,
} from '../support/sipp.js';
import type Srf from 'drachtio-srf';
import { srfScenario } from './srf-suite-apps.js';

/** One run of an srf case over one transport; throws with SIPp's account when it fails. */
export type SrfRun = (transport: SippTransport) => Promise<void>;

/** Whole-run limit for every SIPp process of a run. */
const SIPP_TIMEOUT_MS = 20_000;

/** Run `body` against an engine of its own (so runs can overlap), closing it afterwards. */
export async function withEngine(
  body: (eut: EngineUnderTest) => Promise<void>,
  opts: { t1?: number } = {},
): Promise<void> {
  const eut = await startEngine(opts);
  try {
    await body(eut);
  } finally {
    await eut.close();
  }
}

/** An srf app written inline (for tape files whose app logic is not a loadable script). */
export function inlineApp(eut: EngineUnderTest): Promise<Srf> {
  return connectApp(eut);
}

/**
 * One of srf's UAS scenarios as a far end, standing in for the `sipp-uas-*` container of the
 * testbed. Its message trace is kept: some runs inspect it, and a failure shows it.
 */
export function srfFarEnd(scenario: string, transport: SippTransport): Promise<SippServer> {
  return startSippServer({
    scenario: srfScenario(scenario),
    transport,
    timeoutMs: SIPP_TIMEOUT_MS,
    traceMessages: true,
  });
}

/** One of srf's UAC scenarios calling the engine, as `sipp … drachtio-sut` did in the testbed. */
export function srfCaller(
  eut: EngineUnderTest,
  scenario: string,
  transport: SippTransport,
): Promise<SippResult> {
  return runSipp({
    scenario: srfScenario(scenario),
    remote: `127.0.0.1:${eut.sipPort}`,
    transport,
    timeoutMs: SIPP_TIMEOUT_MS,
    traceMessages: true,
  });
}

/** The URI an app dials for a far end (`sip:sipp-uas` / `sip:172.29.0.x` in srf's tests). */
export function farEndUri(server: SippServer, transport: SippTransport, scheme = 'sip:'): string {
  return `${scheme}${server.address}${transport === 'tcp' ? ';transport=tcp' : ''}`;
}

/**
 * How a run judges its far end. `completes`: the scenario must reach its end (srf's testbed never
 * checked its long-running UAS containers; here most far ends are held to their script).
 * `unchecked`: the scenario cannot complete by design of the case, so it is stopped.
 */
export type FarEndVerdict = 'completes' | 'unchecked';

/**
 * SIPp's verdict on a caller; when it failed, the far end is stopped and its account added, since
 * a B2BUA caller's failure is often explained by what the far end did or did not get.
 */
export async function expectCallerPass(caller: SippResult, far?: SippServer): Promise<void> {
  if (caller.code === 0 && !caller.stopped && !caller.killedByTimer) return;
  const farAccount = far ? `\n\n=== far end ===\n${describeFailure(await far.stop())}` : '';
  throw new Error(`${describeFailure(caller)}${farAccount}`);
}

/** Await (or stop) the far end according to `verdict`, after the run's other checks. */
export async function settleFarEnd(server: SippServer, verdict: FarEndVerdict): Promise<SippResult> {
  if (verdict === 'unchecked') return server.stop();
  const result = await server.done;
  expectSippPass(result);
  return result;
}

/** Collects what srf test apps report through `error` events, for a final `expect([])`. */
export function errorCollector(): { errors: unknown[]; push: (err: unknown) => void } {
  const errors: unknown[] = [];
  return { errors, push: (err: unknown) => errors.push(err) };
}

/** `err` with what the srf app saw (its events, its errors) appended, for a failing run. */
export function withAppAccount(
  err: unknown,
  events: readonly string[],
  appErrors: readonly unknown[],
): Error {
  const failure = asError(err);
  const errors = appErrors.map((e) => asError(e).message);
  failure.message += `\n=== srf app === events: [${events.join(', ')}] errors: [${errors.join('; ')}]`;
  return failure;
}

/** The SIP messages of a SIPp `-message_file` that SIPp received, in order. */
export function receivedMessages(trace: string | undefined): string[] {
  if (!trace) return [];
  const out: string[] = [];
  // SIPp 3.6 writes each message as a "----- <time>\nUDP/TCP message received [n] bytes :" block.
  for (const block of trace.split(/^-{5,}[^\n]*\n/m)) {
    const match = /message received \[\d+\] bytes :\s*\n([\s\S]*)$/.exec(block);
    if (match?.[1] !== undefined) out.push(match[1]);
  }
  return out;
}

/**
 * srf's test apps report some failures by throwing inside srf callbacks (`throw new Error('request
 * header not proxied')`), which surfaces only as an unhandled rejection. Runs overlap, so each is
 * run in its own async context: srf's sockets are opened inside it, so a rejection raised from
 * their callbacks is attributed to the run that opened them.
 */
const runContext = new AsyncLocalStorage<unknown[]>();
let rejectionHookInstalled = false;

/** How long after a run late rejections (from already-queued srf callbacks) are still attributed. */
const LATE_REJECTION_MS = 100;

/** Run `body`; fail with the srf apps' unhandled rejections it caused, if any, and its own error. */
export async function runAttributingRejections(body: () => Promise<void>): Promise<void> {
  if (!rejectionHookInstalled) {
    rejectionHookInstalled = true;
    process.on('unhandledRejection', (reason) => runContext.getStore()?.push(reason));
  }
  const rejections: unknown[] = [];
  let failure: unknown;
  await runContext.run(rejections, async () => {
    try {
      await body();
    } catch (err) {
      failure = err;
    }
    await new Promise((r) => setTimeout(r, LATE_REJECTION_MS));
  });
  if (rejections.length > 0) {
    const thrown = rejections.map((r) => asError(r).message).join('; ');
    const also = failure === undefined ? '' : `\nthe run also failed: ${asError(failure).message}`;
    throw new Error(`the srf app threw (unhandled rejection): ${thrown}${also}`, { cause: failure });
  }
  if (failure !== undefined) throw asError(failure);
}

/** srf hands errors back as Errors, strings or response-like objects; make each an Error. */
export function asError(err: unknown): Error {
  if (err instanceof Error) return err;
  return new Error(typeof err === 'string' ? err : JSON.stringify(err));
}
