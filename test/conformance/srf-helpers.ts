import type Srf from 'drachtio-srf';

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

export function deferred<T = void>(): {
  promise: Promise<T>;
  resolve: (v: T) => void;
  reject: (e: unknown) => void;
} {
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
    new Promise<T>((_, reject) =>
      setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms),
    ),
  ]);
}

/** Hang up a dialog and wait for the BYE's answer (srf's typings declare destroy as void). */
export function hangUp(dlg: { destroy(opts?: object, cb?: (err?: unknown) => void): void }): Promise<void> {
  return new Promise((resolve, reject) =>
    dlg.destroy({}, (err?: unknown) =>
      err ? reject(err instanceof Error ? err : new Error(`BYE failed: ${JSON.stringify(err)}`)) : resolve(),
    ),
  );
}

/**
 * `srf.request(uri, opts, callback)` as drachtio-srf implements it (its shipped typings declare
 * another signature), resolving with the first final response.
 */
export function requestFinal(
  srf: Srf,
  uri: string,
  opts: { method: string; headers?: Record<string, string> },
): Promise<Srf.SrfResponse> {
  type RequestFn = (uri: string, opts: object, cb: (err: Error | null, req: Srf.SrfRequest) => void) => void;
  const request = srf.request.bind(srf) as unknown as RequestFn;
  return new Promise((resolve, reject) => {
    request(uri, opts, (err, req) => {
      if (err) return reject(err);
      req.on('response', (res?: Srf.SrfResponse) => {
        if (res && res.status >= 200) resolve(res);
      });
    });
  });
}

/** `dialog.request({method, headers, body})` as srf implements it (its typings want a full SrfRequest). */
export function dialogRequest(
  dlg: Srf.Dialog,
  opts: { method: string; headers?: Record<string, string>; body?: string },
): Promise<Srf.SrfResponse> {
  return dlg.request(opts as unknown as Srf.SrfRequest);
}
