/**
 * Small pieces shared by the drachtio-srf conformance suites: SDP bodies and waiting helpers.
 * The apps themselves live in each test, written the way a drachtio-srf user would.
 */
export const SDP_ANSWER = [
  'v=0',
  'o=baton 1 1 IN IP4 127.0.0.1',
  's=baton',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0',
  'a=rtpmap:0 PCMU/8000',
  'a=sendrecv',
  '',
].join('\r\n');

/** RFC 3264 §8.4: the answer to a sendonly offer is recvonly. */
export function holdAnswer(): string {
  return SDP_ANSWER.replace('a=sendrecv', 'a=recvonly');
}

export function deferred<T = void>(): { promise: Promise<T>; resolve: (v: T) => void; reject: (e: unknown) => void } {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

/** Resolve when `fn` returns true, polling; rejects after `ms`. */
export async function waitFor(fn: () => boolean, ms = 5000, what = 'condition'): Promise<void> {
  const until = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  return Promise.race([
    p,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms)),
  ]);
}
