/**
 * `baton config check [FILE]`: validate a config file plus the environment and print the
 * effective configuration (secrets as `***`) as YAML, or every problem found. `bin/baton.js`
 * calls {@link runConfigCheck}; this module only exports it.
 */
import { stringify } from 'yaml';
import { ConfigError } from './config-error.js';
import type { EnvVars } from './env-substitution.js';
import { loadConfig } from './load-config.js';
import { redactConfig } from './redact.js';

export interface CheckOutput {
  stdout: { write(text: string): unknown };
  stderr: { write(text: string): unknown };
}

/**
 * @param file the YAML file to check; undefined checks the defaults plus the environment
 * @param env the environment to apply (`process.env` from the entry point)
 * @param out where to write (`process` itself fits)
 * @returns the exit code: 0 valid, 1 invalid
 */
export function runConfigCheck(file: string | undefined, env: EnvVars, out: CheckOutput): number {
  try {
    const config = loadConfig({ file, env });
    out.stdout.write(
      `# effective configuration${file === undefined ? ' (defaults + environment)' : ` (${file})`}\n`,
    );
    out.stdout.write(stringify(redactConfig(config)));
    return 0;
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    out.stderr.write(`${err.message}\n`);
    return 1;
  }
}
