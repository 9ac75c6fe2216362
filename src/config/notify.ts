/**
 * `notify.command`: the program run on every episode start and end, as an argv list (the program
 * first, an absolute path; no shell). A file setting only: it has no flag. Pure: no I/O.
 */
import { checkAbsolutePath, describe } from './checks.js';
import { FAIL, sub, type Codec } from './codecs.js';

/** Arguments of the notify command, program included. */
export const NOTIFY_ARGS_MAX = 64;

export const notifyCommand: Codec<string[]> = {
  repeatable: false,
  type: 'list: the program (absolute path), then its arguments',
  read(raw, at) {
    if (!Array.isArray(raw)) {
      const hint = typeof raw === 'string' ? ` (write [${JSON.stringify(raw)}]: a list, the program first, no shell)` : '';
      at.problem([], `expected a list, the program then its arguments, got ${describe(raw)}${hint}`);
      return FAIL;
    }
    if (raw.length > NOTIFY_ARGS_MAX) {
      at.problem([], `at most ${NOTIFY_ARGS_MAX} entries`);
      return FAIL;
    }
    if (raw.length === 0) return [];
    let failed = false;
    const program = checkAbsolutePath(raw[0]);
    if (!program.ok) {
      sub(at, [0]).problem([], program.problem);
      failed = true;
    }
    const rest = raw.slice(1).map((a, i) => {
      if (typeof a === 'string' || typeof a === 'number') return String(a);
      sub(at, [i + 1]).problem([], `expected a string, got ${describe(a)}`);
      failed = true;
      return '';
    });
    return failed || !program.ok ? FAIL : [program.value, ...rest];
  },
  fromFlag(_texts, at) {
    at.problem([], 'notify.command has no flag: set it in the configuration file');
    return FAIL;
  },
};
