/** The one error configuration loading throws: every problem found, each with its key path. */

export interface ConfigIssue {
  /** Key path as written in YAML terms (`trunks[0].addresses[1]`), or the variable/file it concerns. */
  readonly path: string;
  /** Why the value is refused; never contains the value of a secret. */
  readonly message: string;
}

export class ConfigError extends Error {
  readonly code = 'config-invalid';
  readonly issues: readonly ConfigIssue[];

  /**
   * @param issues every problem found (at least one)
   * @param source the file (or other origin) the config came from, for the first line
   */
  constructor(issues: readonly ConfigIssue[], source?: string) {
    const n = issues.length;
    const head = `Invalid configuration${source === undefined ? '' : ` (${source})`}: ${n} problem${n === 1 ? '' : 's'}`;
    const lines = issues.map((i) => (i.path === '' ? `  ${i.message}` : `  ${i.path}: ${i.message}`));
    super([head, ...lines].join('\n'));
    this.name = 'ConfigError';
    this.issues = Object.freeze([...issues]);
  }
}

/** `['trunks', 0, 'addresses', 1]` → `trunks[0].addresses[1]`. */
export function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else if (typeof seg === 'string' && /^[A-Za-z_$][\w$]*$/.test(seg)) out += out === '' ? seg : `.${seg}`;
    else out += `[${JSON.stringify(String(seg))}]`;
  }
  return out;
}
