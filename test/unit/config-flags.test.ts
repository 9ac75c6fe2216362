import { describe, expect, it } from 'vitest';
import { ConfigError, DAEMON_FLAGS, DAEMON_FLAGS_HELP, DEFAULTS, loadConfig, type LoadResult } from '../../src/config/index.js';
import { parseDuration } from '../../src/core/duration.js';
import { parseIpv4 } from '../../src/core/ipv4.js';

function noFile(p: string): string {
  throw Object.assign(new Error(`ENOENT: ${p}`), { code: 'ENOENT' });
}

function load(argv: string[]): LoadResult {
  return loadConfig({ argv, readFile: noFile });
}

function messages(argv: string[]): string[] {
  try {
    load(argv);
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    return (e as ConfigError).issues.map((i) => i.text);
  }
  throw new Error('expected a ConfigError');
}

function message(argv: string[]): string {
  const all = messages(argv);
  expect(all).toHaveLength(1);
  return all[0]!;
}

describe('the flag set', () => {
  it('is exactly the handbook flag list', () => {
    expect(DAEMON_FLAGS.map((f) => f.name)).toEqual([
      'config',
      'interface',
      'exclude-interface',
      'delegate',
      'no-own-addresses',
      'ignore-mac',
      'probe-interval',
      'announce-interval',
      'defend',
      'clear-after',
      'max-send-rate',
      'state-dir',
      'control-socket',
      'web.listen-address',
      'web.config.file',
      'log-level',
      'check-config',
    ]);
    expect(DAEMON_FLAGS.filter((f) => f.repeatable).map((f) => f.name)).toEqual([
      'interface',
      'exclude-interface',
      'delegate',
      'ignore-mac',
      'web.listen-address',
    ]);
  });

  it('DAEMON_FLAGS_HELP lists every flag with its default', () => {
    for (const f of DAEMON_FLAGS) {
      const line = DAEMON_FLAGS_HELP.split('\n').find((l) => l.trimStart().startsWith(`--${f.name}${f.arg ? ` ${f.arg}` : ''} `));
      expect(line, `--${f.name}`).toBeDefined();
      expect(line).toContain(`(default: ${f.default})`);
    }
    expect(DAEMON_FLAGS_HELP.endsWith('\n')).toBe(true);
  });

  it('the defaults shown in help are the real defaults', () => {
    const shown = new Map(DAEMON_FLAGS.map((f) => [f.name, f.default]));
    expect(parseDuration(shown.get('probe-interval')!)).toBe(DEFAULTS.probeIntervalMs);
    expect(parseDuration(shown.get('announce-interval')!)).toBe(DEFAULTS.announceIntervalMs);
    expect(shown.get('defend')).toBe(DEFAULTS.defend);
    expect(Number(shown.get('clear-after'))).toBe(DEFAULTS.clearAfter);
    expect(Number(shown.get('max-send-rate'))).toBe(DEFAULTS.maxSendRate);
    expect(shown.get('state-dir')).toBe(DEFAULTS.stateDir);
    expect(shown.get('control-socket')).toBe(DEFAULTS.controlSocket);
    expect(shown.get('web.listen-address')).toBe(DEFAULTS.web.listenAddresses.join(', '));
    expect(shown.get('log-level')).toBe(DEFAULTS.logLevel);
  });
});

describe('flags', () => {
  it('--check-config sets checkOnly', () => {
    expect(load([]).checkOnly).toBe(false);
    expect(load(['--check-config']).checkOnly).toBe(true);
  });

  it('accept --flag=value', () => {
    const { config } = load(['--probe-interval=250ms', '--web.listen-address=[::]:10227', '--delegate=198.51.100.10@eth0']);
    expect(config.probeIntervalMs).toBe(250);
    expect(config.web.listenAddresses).toEqual(['[::]:10227']);
    expect(config.delegates).toEqual([{ address: parseIpv4('198.51.100.10'), interface: 'eth0', allowedMacs: [] }]);
  });

  it('a non-repeatable flag given twice: the last one wins', () => {
    expect(load(['--log-level', 'debug', '--log-level', 'warn']).config.logLevel).toBe('warn');
  });

  it('boolean flags take no value', () => {
    expect(message(['--check-config=yes'])).toBe('dupip: --check-config: does not take a value (got "yes")');
    expect(message(['--no-own-addresses=true'])).toBe('dupip: --no-own-addresses: does not take a value (got "true")');
  });

  it('unknown flags are named with the closest known flag; their value is not reported again', () => {
    expect(messages(['--probe-intervall', '5s'])).toEqual([
      'dupip: --probe-intervall: unknown flag (did you mean --probe-interval?); see dupip daemon --help',
    ]);
    expect(message(['--own-addresses'])).toBe(
      'dupip: --own-addresses: unknown flag (did you mean --no-own-addresses?); see dupip daemon --help',
    );
    expect(message(['--web.listen-addresses=:1'])).toContain('--web.listen-addresses: unknown flag (did you mean --web.listen-address?)');
    expect(message(['--frobnicate'])).toBe('dupip: --frobnicate: unknown flag; see dupip daemon --help');
  });

  it('a single-dash long flag is reported once', () => {
    expect(messages(['-probe-interval', '5s'])).toEqual([
      'dupip: -probe-interval: unknown flag (did you mean --probe-interval?); see dupip daemon --help',
      'dupip: unexpected argument "5s" (flags start with "--")',
    ]);
    expect(message(['-h'])).toBe('dupip: -h: unknown flag; see dupip daemon --help');
  });

  it('stray arguments are rejected, also after --', () => {
    expect(message(['daemon'])).toBe('dupip: unexpected argument "daemon" (flags start with "--")');
    expect(message(['--', '--check-config'])).toBe('dupip: unexpected argument "--check-config" (flags start with "--")');
  });

  it('a missing value is named', () => {
    expect(message(['--probe-interval'])).toBe('dupip: --probe-interval: missing value: --probe-interval D');
    expect(messages(['--state-dir', '--check-config'])).toEqual([
      'dupip: --state-dir: missing value: --state-dir DIR (to give a value starting with "-", write --state-dir=--check-config)',
    ]);
    expect(message(['--config='])).toBe('dupip: --config: missing value: --config PATH');
  });

  it('--delegate ADDRESS[@IF]', () => {
    const { config } = load(['--delegate', '198.51.100.10', '--delegate', '203.0.113.9@bond0']);
    expect(config.delegates).toEqual([
      { address: parseIpv4('198.51.100.10'), allowedMacs: [] },
      { address: parseIpv4('203.0.113.9'), interface: 'bond0', allowedMacs: [] },
    ]);
    expect(message(['--delegate', '198.51.100.300@eth0'])).toBe('dupip: --delegate: "198.51.100.300" is not an IPv4 address');
    expect(message(['--delegate', '198.51.100.10@'])).toBe(
      'dupip: --delegate: "198.51.100.10@": missing interface after "@" (e.g. 198.51.100.10@eth0)',
    );
    expect(message(['--delegate', '198.51.100.10@eth0/1'])).toContain('--delegate: "eth0/1" is not a valid interface name');
    expect(message(['--delegate', '127.0.0.1'])).toBe('dupip: --delegate: "127.0.0.1" cannot be monitored: it is a loopback address');
    expect(message(['--delegate', '198.51.100.10', '--delegate', '198.51.100.10@eth0'])).toBe(
      'dupip: --delegate: 198.51.100.10 is given twice',
    );
  });

  it('--interface and --ignore-mac are checked, duplicates rejected', () => {
    expect(load(['--interface', 'eth0', '--ignore-mac', 'AA-BB-CC-DD-EE-FF']).config).toMatchObject({
      interfaces: ['eth0'],
      ignoreMacs: ['aa:bb:cc:dd:ee:ff'],
    });
    expect(message(['--interface', 'eth0', '--interface', 'eth0'])).toBe('dupip: --interface: "eth0" is given twice');
    expect(message(['--interface', 'a/b'])).toContain('dupip: --interface: "a/b" is not a valid interface name');
    expect(message(['--ignore-mac', 'nope'])).toBe('dupip: --ignore-mac: "nope" is not a MAC address (e.g. 02:00:5e:10:00:01)');
  });

  it('durations', () => {
    expect(message(['--probe-interval', 'fast'])).toBe('dupip: --probe-interval: "fast" is not a duration (e.g. 500ms, 10s, 5m)');
    expect(message(['--probe-interval', '10'])).toBe('dupip: --probe-interval: "10" is not a duration: missing unit (e.g. "10s")');
    expect(message(['--probe-interval', '50ms'])).toBe('dupip: --probe-interval: "50ms" is too short: at least 100ms');
    expect(message(['--announce-interval', '100ms'])).toBe(
      'dupip: --announce-interval: "100ms" is too short: use 0 (disabled) or at least 1s',
    );
    expect(load(['--announce-interval', '0']).config.announceIntervalMs).toBe(0);
  });

  it('integers', () => {
    expect(load(['--clear-after', '1', '--max-send-rate', '10000']).config).toMatchObject({ clearAfter: 1, maxSendRate: 10_000 });
    expect(message(['--clear-after', 'abc'])).toBe('dupip: --clear-after: "abc" is not an integer');
    expect(message(['--clear-after', '1.5'])).toBe('dupip: --clear-after: "1.5" is not an integer');
    expect(message(['--clear-after=-1'])).toBe('dupip: --clear-after: -1 is too small: at least 1');
    expect(message(['--max-send-rate', '0'])).toBe('dupip: --max-send-rate: 0 is too small: at least 1');
    expect(message(['--max-send-rate', '10001'])).toBe('dupip: --max-send-rate: 10001 is too large: at most 10000');
  });

  it('choices, paths and listen addresses', () => {
    expect(message(['--defend', 'sometimes'])).toBe('dupip: --defend: "sometimes" is not a defend mode (once, never)');
    expect(message(['--log-level', 'verbose'])).toBe(
      'dupip: --log-level: "verbose" is not a log level (trace, debug, info, warn, error, fatal)',
    );
    expect(message(['--state-dir', 'state'])).toBe('dupip: --state-dir: "state" is not an absolute path (it must start with "/")');
    expect(message(['--control-socket', `/${'x'.repeat(200)}`])).toContain('--control-socket: ');
    expect(message(['--web.config.file', 'web.yml'])).toContain('--web.config.file: "web.yml" is not an absolute path');
    expect(message(['--web.listen-address', '10227'])).toBe(
      'dupip: --web.listen-address: "10227" is not a listen address (host:port, [::]:port or :port); did you mean ":10227"?',
    );
    expect(message(['--web.listen-address', ':1', '--web.listen-address', ':1'])).toBe(
      'dupip: --web.listen-address: ":1" is given twice',
    );
  });

  it('--config reads the file; a relative path is passed through as given', () => {
    const read: string[] = [];
    const r = loadConfig({
      argv: ['--config=conf/dupip.yml'],
      readFile: (p) => {
        read.push(p);
        return '';
      },
    });
    expect(read).toEqual(['conf/dupip.yml']);
    expect(r.configPath).toBe('conf/dupip.yml');
  });

  it('does not modify argv', () => {
    const argv = ['--interface', 'eth0', '--check-config'];
    load(argv);
    expect(argv).toEqual(['--interface', 'eth0', '--check-config']);
  });
});
