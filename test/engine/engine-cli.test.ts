/**
 * `baton-engine` as a process, the way drachtio-server is run: drachtio-style flags, a JSON
 * "ready" line, a real drachtio-srf app connecting, a real SIPp call through it, exit 0 on
 * SIGTERM, exit 2 with a usage message on bad flags.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import Srf from 'drachtio-srf';
import { afterEach, describe, expect, it } from 'vitest';
import { allocPort } from '../support/ports.js';
import { expectSippPass, runSipp } from '../support/sipp.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const children: ChildProcess[] = [];

function startCli(args: string[]): {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'engine/main.ts', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => out, exited };
}

async function waitForLine(output: () => string, text: string, ms = 10_000): Promise<void> {
  const until = Date.now() + ms;
  while (!output().includes(text)) {
    if (Date.now() > until) throw new Error(`no "${text}" in output:\n${output()}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

afterEach(() => {
  for (const c of children.splice(0)) if (c.exitCode === null) c.kill('SIGKILL');
});

describe('baton-engine command line', () => {
  it('takes drachtio-server flags, serves an srf app and a SIPp call, and exits 0 on SIGTERM', async () => {
    const sipPort = await allocPort();
    const adminPort = await allocPort();
    const cli = startCli([
      '-c',
      `sip:127.0.0.1:${sipPort};transport=udp,tcp`,
      '--address',
      '127.0.0.1',
      '-p',
      String(adminPort),
      '--secret',
      'cli-secret',
      '-l',
      'info',
    ]);
    await waitForLine(cli.output, 'baton-engine ready');
    expect(cli.output()).toContain(`udp/127.0.0.1:${sipPort},tcp/127.0.0.1:${sipPort}`);

    const srf = new Srf();
    await new Promise<void>((resolve, reject) => {
      srf.once('connect', () => resolve());
      srf.once('error', reject);
      void srf.connect({ host: '127.0.0.1', port: adminPort, secret: 'cli-secret' });
    });
    srf.invite((req, res) => res.send(486));
    await new Promise((r) => setTimeout(r, 50));
    expectSippPass(
      await runSipp({ scenario: 'uac-expect-486.xml', remote: `127.0.0.1:${sipPort}`, timeoutMs: 10_000 }),
    );
    srf.disconnect();

    cli.child.kill('SIGTERM');
    expect(await cli.exited).toBe(0);
  });

  it('exits 2 and names the flag on a bad value', async () => {
    const cli = startCli(['--port', 'ninety']);
    expect(await cli.exited).toBe(2);
    expect(cli.output()).toMatch(/--port: expected a positive integer/);
    expect(cli.output()).toContain('usage: baton-engine');
  });

  it('exits 1 with a reason when the contact cannot be used', async () => {
    const cli = startCli(['-c', 'sips:127.0.0.1:5061', '-p', String(await allocPort())]);
    expect(await cli.exited).toBe(1);
    expect(cli.output()).toMatch(/engine failed to start/);
  });
});
