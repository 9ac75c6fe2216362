/**
 * Daemon flags (`dupip daemon ...`), made from the declarations in schema.ts: parsed with
 * util.parseArgs, checked with the same rules as the file, into a Layer that overrides the file.
 * Repeatable flags replace the file's list. Also `dupip daemon --help`.
 *
 * Pure: no I/O.
 */
import { parseArgs } from 'node:util';
import { closest } from './checks.js';
import { FAIL, type At, type Entry, type Setting } from './codecs.js';
import type { Issues, Where } from './errors.js';
import { emptyLayer, setValue, type FieldId, type Layer } from './layer.js';
import { SETTINGS } from './schema.js';

export interface FlagSpec {
  /** Without the leading "--". */
  name: string;
  /** Name of the value in help ("D", "PATH"); absent for boolean flags. */
  arg?: string;
  repeatable?: boolean;
  help: string;
  /** The default, as shown in help. */
  default: string;
  /** The configuration-file key the flag overrides, if any ("web.listen_addresses"). */
  key?: string;
  /** The DaemonConfig field it sets ("web.listenAddresses"); absent for --config and --check-config. */
  field?: FieldId;
  setting?: Setting;
}

/** How help and docs show a default: lists joined, '' as none. */
export function shownDefault(s: Setting): string {
  if (s.defaultNote !== undefined) return s.defaultNote;
  const d = s.default;
  if (Array.isArray(d)) return d.length === 0 ? 'none' : d.join(', ');
  return d === '' ? 'none' : String(d);
}

function settingFlags(entries: Record<string, Entry>, keyPrefix = '', fieldPrefix = ''): FlagSpec[] {
  return Object.entries(entries).flatMap(([name, e]): FlagSpec[] => {
    if ('settings' in e) return settingFlags(e.settings, `${e.key}.`, `${name}.`);
    if (!e.flag) return [];
    const f = e.flag;
    return [
      {
        name: f.name,
        ...(f.arg !== undefined ? { arg: f.arg } : {}),
        ...(e.codec.repeatable ? { repeatable: true } : {}),
        help: f.help,
        default: e.flagDefault ?? shownDefault(e),
        key: keyPrefix + e.key,
        field: fieldPrefix + name,
        setting: e,
      },
    ];
  });
}

/** Every daemon flag, in help order: --config, the settings' flags, --check-config. */
export const DAEMON_FLAGS: readonly FlagSpec[] = [
  { name: 'config', arg: 'PATH', help: 'YAML configuration file (a relative path is relative to the working directory); flags override it', default: 'none' },
  ...settingFlags(SETTINGS),
  { name: 'check-config', help: 'check the configuration and exit: status 0 if valid, 78 if not', default: 'off' },
];

function helpText(): string {
  const left = (f: FlagSpec): string => `--${f.name}${f.arg ? ` ${f.arg}` : ''}`;
  const width = Math.max(...DAEMON_FLAGS.map((f) => left(f).length)) + 2;
  const lines = DAEMON_FLAGS.map((f) => {
    const rep = f.repeatable ? '; repeatable, replaces the file\'s list' : '';
    return `  ${left(f).padEnd(width)}${f.help}${rep} (default: ${f.default})`;
  });
  return [
    'Usage: dupip daemon [--config PATH] [flags]',
    '',
    'Watches IPv4 addresses for duplicates (RFC 5227 address conflict detection).',
    '',
    'Flags:',
    ...lines,
    '',
    'Durations: 500ms, 10s, 5m, 1h, 1m30s, 0. SIGHUP reloads the configuration.',
    'Invalid configuration exits with status 78. Reference: docs/config.md.',
    '',
  ].join('\n');
}

/** Help for `dupip daemon --help`: every daemon flag with its default. Ends with a newline. */
export const DAEMON_FLAGS_HELP: string = helpText();

export interface ParsedFlags {
  layer: Layer;
  /** --config PATH, if given. */
  configPath?: string;
  checkOnly: boolean;
}

const FLAG_BY_NAME = new Map(DAEMON_FLAGS.map((f) => [f.name, f]));

/** Parses daemon flags (the arguments after `dupip daemon`); problems go to `issues`. */
export function parseDaemonFlags(argv: readonly string[], issues: Issues): ParsedFlags {
  const options = Object.fromEntries(
    DAEMON_FLAGS.map((f) => [f.name, { type: f.arg ? ('string' as const) : ('boolean' as const), multiple: f.repeatable ?? false }]),
  );
  // There are no short flags. parseArgs would split "-probe-interval" into -p -r -o ...; report such an
  // argument once, as it was written, and leave it out.
  const args: string[] = [];
  let terminated = false;
  for (const arg of argv) {
    if (arg === '--') terminated = true;
    if (!terminated && /^-[^-]/.test(arg)) {
      const raw = arg.split('=')[0]!;
      const guess = closest(raw.replace(/^-+/, ''), DAEMON_FLAGS.map((f) => f.name));
      issues.add({ kind: 'flag', flag: raw }, unknownFlag(guess));
      continue;
    }
    args.push(arg);
  }
  const { tokens } = parseArgs({ args, options, strict: false, allowPositionals: true, tokens: true });

  // Values of each flag, in order, after shape checks (unknown flags, missing values, stray arguments).
  const given = new Map<string, string[]>();
  let skipPositionalAt = -1;
  for (const t of tokens) {
    if (t.kind === 'option-terminator') continue;
    if (t.kind === 'positional') {
      if (t.index !== skipPositionalAt) {
        issues.add({ kind: 'args' }, `unexpected argument ${JSON.stringify(t.value)} (flags start with "--")`);
      }
      continue;
    }
    const spec = FLAG_BY_NAME.get(t.name);
    if (!spec) {
      issues.add({ kind: 'flag', flag: t.rawName }, unknownFlag(closest(t.name, DAEMON_FLAGS.map((f) => f.name))));
      // "--unknown value": the next argument is most likely its value, do not report it as well.
      if (!t.inlineValue) skipPositionalAt = t.index + 1;
      continue;
    }
    const flag = `--${spec.name}`;
    if (!spec.arg) {
      if (t.value !== undefined) issues.add({ kind: 'flag', flag }, `does not take a value (got ${JSON.stringify(t.value)})`);
      else given.set(spec.name, ['']);
      continue;
    }
    if (t.value === undefined || (!t.inlineValue && t.value.startsWith('-') && t.value !== '-')) {
      const hint = t.value === undefined ? '' : ` (to give a value starting with "-", write ${flag}=${t.value})`;
      issues.add({ kind: 'flag', flag }, `missing value: ${flag} ${spec.arg}${hint}`);
      continue;
    }
    const list = given.get(spec.name) ?? [];
    if (spec.repeatable) list.push(t.value);
    else list.splice(0, list.length, t.value); // the last one wins
    given.set(spec.name, list);
  }

  const layer = emptyLayer();
  const result: ParsedFlags = { layer, checkOnly: given.has('check-config') };

  const configPath = given.get('config')?.[0];
  if (configPath !== undefined) {
    if (configPath === '') issues.add({ kind: 'flag', flag: '--config' }, 'missing value: --config PATH');
    else result.configPath = configPath;
  }
  for (const f of DAEMON_FLAGS) {
    const texts = given.get(f.name);
    if (texts === undefined || !f.setting || !f.field) continue;
    const where: Where = { kind: 'flag', flag: `--${f.name}` };
    const at: At = { path: [], problem: (_sub, problem) => issues.add(where, problem), where: () => where };
    const value = f.arg === undefined ? f.setting.flag!.sets : f.setting.codec.fromFlag(texts, at);
    if (value !== FAIL) setValue(layer, f.field, value, where, Array.isArray(value) ? value.map(() => where) : undefined);
  }
  return result;
}

function unknownFlag(guess: string | null): string {
  return `unknown flag${guess ? ` (did you mean --${guess}?)` : ''}; see dupip daemon --help`;
}
