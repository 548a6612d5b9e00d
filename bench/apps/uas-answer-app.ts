/**
 * The benchmark's far end: a minimal, unmodified-drachtio-srf UAS app. It answers every INVITE
 * with 200 and a static SDP answer and lets the caller send the BYE. Run as its own process so
 * its CPU and memory are measured apart from the engine's.
 *
 *   node dist/bench/apps/uas-answer-app.js --port 26022 --secret bench
 *
 * Prints `ready` on stdout once connected, and its call counters as one JSON line on exit.
 */
import { parseArgs } from 'node:util';
import Srf from 'drachtio-srf';

const LOCAL_SDP = [
  'v=0',
  'o=bench-uas 3001 3001 IN IP4 127.0.0.1',
  's=Baton bench UAS',
  'c=IN IP4 127.0.0.1',
  't=0 0',
  'm=audio 40000 RTP/AVP 0 101',
  'a=rtpmap:0 PCMU/8000',
  'a=rtpmap:101 telephone-event/8000',
  'a=fmtp:101 0-15',
  'a=sendrecv',
  '',
].join('\r\n');

const { values } = parseArgs({
  options: {
    host: { type: 'string', default: '127.0.0.1' },
    port: { type: 'string', default: '9022' },
    secret: { type: 'string', default: 'cymru' },
  },
  strict: true,
});

const counters = { invites: 0, answered: 0, failed: 0, ended: 0 };
/** Call-IDs answered whose dialog has not ended yet: a few are reported on exit, to chase leaks. */
const open = new Set<string>();
const srf = new Srf();

srf.invite((req, res) => {
  counters.invites++;
  // The callback form, not the promise: srf calls it synchronously when the 200 is sent, so
  // the 'destroy' listener is in place even when the BYE arrives in the same TCP read.
  srf.createUAS(req, res, { localSdp: LOCAL_SDP }, (err: unknown, dialog) => {
    if (err) {
      // The caller went away (CANCEL) or the answer could not be sent: counted, not fatal.
      counters.failed++;
      return;
    }
    counters.answered++;
    const callId = req.get('Call-ID');
    open.add(callId);
    dialog.on('destroy', () => {
      counters.ended++;
      open.delete(callId);
    });
  });
});

let connected = false;
srf.on('connect', () => {
  connected = true;
  process.stdout.write('ready\n');
});
srf.on('error', (err) => {
  process.stderr.write(`uas-answer-app: ${err.message}\n`);
});

const stop = (): void => {
  process.stdout.write(`${JSON.stringify({ counters, notEnded: [...open].slice(0, 5) })}\n`);
  // srf.disconnect asserts on a socket that never connected; we exit either way.
  if (connected) srf.disconnect();
  process.exit(0);
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);

void srf.connect({ host: values.host, port: Number(values.port), secret: values.secret });
