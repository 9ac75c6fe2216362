import { EX_CONFIG } from '../cli/exit-codes.js';

export { EX_CONFIG };

/** Where a configuration value came from: a field of a YAML file, or a command-line flag. */
export type Where =
  | { kind: 'file'; file: string; field: string; line?: number }
  | { kind: 'flag'; flag: string }
  | { kind: 'args' };

/** One problem in the configuration. `text` is the full line printed to the user. */
export interface ConfigIssue {
  where: Where;
  /** What is wrong, without the location prefix, e.g. `"fast" is not a duration (e.g. 500ms, 10s, 5m)`. */
  problem: string;
  /** `dupip: FILE: FIELD: problem` or `dupip: --flag: problem`. */
  text: string;
}

export function formatIssue(where: Where, problem: string): string {
  switch (where.kind) {
    case 'file':
      return where.field ? `dupip: ${where.file}: ${where.field}: ${problem}` : `dupip: ${where.file}: ${problem}`;
    case 'flag':
      return `dupip: ${where.flag}: ${problem}`;
    case 'args':
      return `dupip: ${problem}`;
  }
}

/**
 * Invalid configuration. The message holds one line per problem (every problem found, not only the
 * first), each naming the file and field or the flag. exitCode is 78 (EX_CONFIG).
 */
export class ConfigError extends Error {
  readonly exitCode = EX_CONFIG;
  readonly issues: readonly ConfigIssue[];

  constructor(issues: readonly ConfigIssue[]) {
    super(issues.map((i) => i.text).join('\n'));
    this.name = 'ConfigError';
    this.issues = issues;
  }
}

/** Collects problems while a configuration is read, so that all of them can be reported at once. */
export class Issues {
  readonly list: ConfigIssue[] = [];

  add(where: Where, problem: string): void {
    this.list.push({ where, problem, text: formatIssue(where, problem) });
  }

  get empty(): boolean {
    return this.list.length === 0;
  }
}
