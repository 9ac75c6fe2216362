/**
 * Daemon flags (`dupip daemon ...`): parsed with util.parseArgs, checked with the same rules as the file,
 * into a Layer that overrides the file. Repeatable flags replace the file's list.
 *
 * Pure: no I/O.
 */
import { parseArgs } from 'node:util';
import { formatIpv4 } from '../core/ipv4.js';
import { Issues, type Where } from './errors.js';
import { emptyLayer, setValue, type Layer, type LayerKey, type LayerValues } from './layer.js';
import {
  checkAbsolutePath,
  checkDefend,
  checkDuration,
  checkInteger,
  checkInterfaceName,
  checkListenAddress,
  checkLogLevel,
  checkMac,
  checkUnicastIpv4,
  closest,
  LIMITS,
  type Check,
  type Delegate,
} from './schema.js';

export interface FlagSpec {
  /** Without the leading "--". */
  name: string;
  /** Name of the value in help ("D", "PATH"); absent for boolean flags. */
  arg?: string;
  repeatable?: boolean;
  help: string;
  /** The default, as shown in help. */
  default: string;
  /** The configuration-file key the flag overrides, if any. */
  key?: string;
}

/** Every daemon flag, in help order. */
export const DAEMON_FLAGS: readonly FlagSpec[] = [
  { name: 'config', arg: 'PATH', help: 'YAML configuration file; flags override it', default: 'none' },
  {
    name: 'interface',
    arg: 'IF',
    repeatable: true,
    key: 'interfaces',
    help: 'interface to work on',
    default: 'every ARP-capable interface with IPv4 that faces the network (docs/config.md)',
  },
  {
    name: 'exclude-interface',
    arg: 'IF',
    repeatable: true,
    key: 'excludeInterfaces',
    help: 'interface never to work on; a trailing * matches a prefix (veth*)',
    default: 'none',
  },
  {
    name: 'delegate',
    arg: 'ADDRESS[@IF]',
    repeatable: true,
    key: 'delegates',
    help: 'floating/virtual address to monitor, optionally on interface IF',
    default: 'none',
  },
  {
    name: 'no-own-addresses',
    key: 'own_addresses',
    help: "monitor only delegates, not this host's own addresses",
    default: 'own addresses are monitored',
  },
  { name: 'ignore-mac', arg: 'MAC', repeatable: true, key: 'ignore_macs', help: 'MAC never counted as conflicting', default: 'none' },
  { name: 'probe-interval', arg: 'D', key: 'probe_interval', help: 'interval between probe rounds, ±20% jitter; at least 100ms', default: '10s' },
  { name: 'announce-interval', arg: 'D', key: 'announce_interval', help: 'interval between announcements; 0 disables, else at least 1s', default: '60s' },
  { name: 'defend', arg: 'once|never', key: 'defend', help: 'defend a held address against a conflict once per 10s, or never', default: 'once' },
  { name: 'clear-after', arg: 'N', key: 'clear_after', help: 'clean probe rounds before a conflict is over; at least 1', default: '3' },
  { name: 'max-send-rate', arg: 'N', key: 'max_send_rate', help: 'most frames per second per interface; 1 to 10000', default: '50' },
  { name: 'state-dir', arg: 'DIR', key: 'state_dir', help: 'state directory, an absolute path', default: '/var/lib/dupip' },
  { name: 'control-socket', arg: 'PATH', key: 'control_socket', help: 'control socket for "dupip status", an absolute path', default: '/run/dupip/dupip.sock' },
  {
    name: 'web.listen-address',
    arg: 'ADDR',
    repeatable: true,
    key: 'web.listen_addresses',
    help: 'metrics HTTP listen address: host:port, [::]:port or :port',
    default: ':10227',
  },
  {
    name: 'web.config.file',
    arg: 'PATH',
    key: 'web.config_file',
    help: 'exporter-toolkit web configuration file for TLS and basic auth',
    default: 'none, plain HTTP',
  },
  { name: 'log-level', arg: 'L', key: 'log_level', help: 'trace, debug, info, warn, error or fatal', default: 'info' },
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

  const one = (name: string): string | undefined => given.get(name)?.[0];
  const set = <K extends LayerKey, T extends LayerValues[K]>(key: K, name: string, check: (text: string) => Check<T>): void => {
    const text = one(name);
    if (text === undefined) return;
    const c = check(text);
    const where: Where = { kind: 'flag', flag: `--${name}` };
    if (c.ok) setValue(layer, key, c.value, where);
    else issues.add(where, c.problem);
  };
  const setList = <K extends LayerKey, T>(
    key: K,
    name: string,
    check: (text: string) => Check<T>,
    identity: (t: T) => string,
    wrap: (items: T[]) => LayerValues[K],
  ): T[] | undefined => {
    const texts = given.get(name);
    if (texts === undefined) return undefined;
    const where: Where = { kind: 'flag', flag: `--${name}` };
    const out: T[] = [];
    const seen = new Set<string>();
    let failed = false;
    for (const text of texts) {
      const c = check(text);
      if (!c.ok) {
        issues.add(where, c.problem);
        failed = true;
        continue;
      }
      const id = identity(c.value);
      if (seen.has(id)) {
        issues.add(where, `${id} is given twice`);
        failed = true;
        continue;
      }
      seen.add(id);
      out.push(c.value);
    }
    if (failed) return undefined;
    setValue(layer, key, wrap(out), where);
    return out;
  };

  const configPath = one('config');
  if (configPath !== undefined) {
    if (configPath === '') issues.add({ kind: 'flag', flag: '--config' }, 'missing value: --config PATH');
    else result.configPath = configPath;
  }
  setList('interfaces', 'interface', checkInterfaceName, (n) => JSON.stringify(n), (l) => l);
  setList('excludeInterfaces', 'exclude-interface', checkInterfaceName, (n) => JSON.stringify(n), (l) => l);
  const delegates = setList('delegates', 'delegate', checkDelegateFlag, (d) => formatIpv4(d.address), (l) => l);
  if (delegates) layer.delegateWhere = delegates.map(() => ({ kind: 'flag', flag: '--delegate' }));
  if (given.has('no-own-addresses')) setValue(layer, 'ownAddresses', false, { kind: 'flag', flag: '--no-own-addresses' });
  setList('ignoreMacs', 'ignore-mac', checkMac, (m) => m, (l) => l);
  set('probeIntervalMs', 'probe-interval', (t) => checkDuration(t, { minMs: LIMITS.probeIntervalMinMs, maxMs: LIMITS.intervalMaxMs }));
  set('announceIntervalMs', 'announce-interval', (t) =>
    checkDuration(t, { minMs: LIMITS.announceIntervalMinMs, maxMs: LIMITS.intervalMaxMs, zeroDisables: true }),
  );
  set('defend', 'defend', checkDefend);
  set('clearAfter', 'clear-after', (t) => checkInteger(t, LIMITS.clearAfterMin, LIMITS.clearAfterMax, true));
  set('maxSendRate', 'max-send-rate', (t) => checkInteger(t, LIMITS.maxSendRateMin, LIMITS.maxSendRateMax, true));
  set('stateDir', 'state-dir', (t) => checkAbsolutePath(t));
  set('controlSocket', 'control-socket', (t) => checkAbsolutePath(t, LIMITS.socketPathMaxBytes));
  setList('webListenAddresses', 'web.listen-address', checkListenAddress, (a) => JSON.stringify(a), (l) => l);
  set('webConfigFile', 'web.config.file', (t): Check<string | undefined> => (t === '' ? { ok: true, value: undefined } : checkAbsolutePath(t)));
  set('logLevel', 'log-level', checkLogLevel);
  return result;
}

function unknownFlag(guess: string | null): string {
  return `unknown flag${guess ? ` (did you mean --${guess}?)` : ''}; see dupip daemon --help`;
}

/** `ADDRESS[@IF]`, e.g. 198.51.100.10 or 198.51.100.10@eth0. */
export function checkDelegateFlag(text: string): Check<Delegate> {
  const at = text.indexOf('@');
  const addressText = at < 0 ? text : text.slice(0, at);
  const address = checkUnicastIpv4(addressText);
  if (!address.ok) return address;
  if (at < 0) return { ok: true, value: { address: address.value, allowedMacs: [] } };
  const ifText = text.slice(at + 1);
  if (ifText === '') return { ok: false, problem: `${JSON.stringify(text)}: missing interface after "@" (e.g. ${addressText}@eth0)` };
  const iface = checkInterfaceName(ifText);
  if (!iface.ok) return iface;
  return { ok: true, value: { address: address.value, interface: iface.value, allowedMacs: [] } };
}
