/**
 * Corrections to drachtio-srf 5.0.29's shipped typings for the calls Baton makes, checked
 * against the library's source (`lib/srf.js`, `lib/dialog.js`, `lib/drachtio-agent.js`). The
 * adapters view an `Srf` through these instead of casting at each call site.
 */
import type Srf from 'drachtio-srf';

export interface UacCallbacks {
  /** Called once the INVITE is sent (`err` set when it could not be). */
  cbRequest?: (err: unknown, req: Srf.SrfRequest) => void;
  cbProvisional?: (res: Srf.SrfResponse) => void;
}

export interface SrfCalls {
  createUAC(
    uri: string,
    opts: Srf.CreateUACOptions,
    callbacks: UacCallbacks,
    /** A Dialog, or with `noAck` and a 200 carrying an offer, `{ sdp, ack, destroy, res }`. */
    callback: (err: unknown, dialog: unknown) => void,
  ): unknown;
  /** Events the typings leave out: 'close' and 'reconnecting' come from the control connection. */
  on(event: 'close' | 'reconnecting', listener: () => void): unknown;
}

export function srfCalls(srf: Srf): SrfCalls {
  return srf as unknown as SrfCalls;
}

/** `Dialog#request` as `lib/dialog.js` takes it (the typings want a whole SrfRequest). */
export interface DialogRequestOptions {
  method: string;
  headers: Record<string, string>;
  body?: string;
  /** Credentials srf answers a 401/407 with, re-sending the request (`lib/drachtio-agent.js`). */
  auth?: { username: string; password: string };
}

export interface DialogCalls {
  request(opts: DialogRequestOptions, callback: (err: unknown, res: Srf.SrfResponse) => void): unknown;
}

/** The Dialog seen through {@link DialogCalls} (method parameters are checked bivariantly). */
export function dialogCalls(dialog: Srf.Dialog): DialogCalls {
  return dialog;
}
