import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { callLogger, createRootLogger } from '../../gateway/observability/logger.js';

function capture(): { lines: () => Array<Record<string, unknown>>; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, stream };
}

describe('logger', () => {
  it('binds call context as fields on every line', () => {
    const { lines, stream } = capture();
    const root = createRootLogger({ level: 'info', destination: stream });
    callLogger(root, { callId: 'c-1', trunk: 'carrier-a', leg: 'caller' }).info('answered');
    expect(lines()[0]).toMatchObject({
      msg: 'answered',
      callId: 'c-1',
      trunk: 'carrier-a',
      leg: 'caller',
      service: 'baton',
    });
  });

  it('censors secrets and credentials wherever Baton logs them', () => {
    const { lines, stream } = capture();
    const root = createRootLogger({ level: 'info', destination: stream });
    root.info(
      {
        trunk: { name: 'a', auth: { username: 'u', password: 'pw-1' } },
        http: { apiToken: 'tok-1' },
        req: { headers: { authorization: 'Bearer tok-2', host: 'x' } },
        sip: {
          headers: { 'proxy-authorization': 'Digest pw-3', Authorization: 'Digest pw-4', 'call-id': 'abc' },
        },
      },
      'config',
    );
    const text = JSON.stringify(lines()[0]);
    for (const secret of ['pw-1', 'tok-1', 'tok-2', 'pw-3', 'pw-4']) expect(text).not.toContain(secret);
    expect(lines()[0]).toMatchObject({
      req: { headers: { host: 'x' } },
      sip: { headers: { 'call-id': 'abc' } },
    });
  });

  it('honours the level', () => {
    const { lines, stream } = capture();
    createRootLogger({ level: 'warn', destination: stream }).info('hidden');
    expect(lines()).toEqual([]);
  });
});
