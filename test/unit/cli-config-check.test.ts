import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runConfigCheck } from '../../config/cli-config-check.js';
import { EXAMPLE_CONFIG_YAML } from '../../config/config-docs.js';

const dir = mkdtempSync(join(tmpdir(), 'baton-check-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function capture(): {
  out: { stdout: { write(s: string): void }; stderr: { write(s: string): void } };
  text: { stdout: string; stderr: string };
} {
  const text = { stdout: '', stderr: '' };
  return {
    out: {
      stdout: { write: (s) => void (text.stdout += s) },
      stderr: { write: (s) => void (text.stderr += s) },
    },
    text,
  };
}

describe('baton config check', () => {
  it('prints the effective config as YAML with secrets masked, exit 0', () => {
    const file = join(dir, 'ok.yaml');
    writeFileSync(file, EXAMPLE_CONFIG_YAML);
    const { out, text } = capture();
    const code = runConfigCheck(
      file,
      { BATON_API_TOKEN: 'token-0123456789abcdef', CARRIER_A_PASSWORD: 'carrier-pw' },
      out,
    );
    expect(code).toBe(0);
    expect(text.stderr).toBe('');
    const printed = parse(text.stdout) as {
      http: { apiToken: string };
      trunks: Array<{ auth: { password: string } }>;
    };
    expect(printed.http.apiToken).toBe('***');
    expect(printed.trunks[0]?.auth.password).toBe('***');
    expect(text.stdout).not.toContain('carrier-pw');
    expect(text.stdout).not.toContain('token-0123456789abcdef');
  });

  it('prints every problem and exits 1', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'http: { listen: nowhere }\nlimits: { maxCalls: -1 }\n');
    const { out, text } = capture();
    expect(runConfigCheck(file, {}, out)).toBe(1);
    expect(text.stdout).toBe('');
    expect(text.stderr).toContain('2 problems');
    expect(text.stderr).toContain('  http.listen: ');
    expect(text.stderr).toContain('  limits.maxCalls: ');
  });

  it('checks the defaults plus the environment when no file is given', () => {
    const { out, text } = capture();
    expect(runConfigCheck(undefined, {}, out)).toBe(0);
    expect(text.stdout).toContain('(defaults + environment)');
  });
});
