import { describe, expect, it } from 'vitest';
import {
  DEFAULTS,
  defaultConfig,
  loadConfig,
} from '../../src/config/index.js';
import { FILE, fail, ip, load, message } from '../support/config-load.js';
import { parseIpv6 } from '../../src/core/ipv6.js';


describe('defaults', () => {
  it('without file or flags, every field has the handbook default', () => {
    const { config, checkOnly, configPath } = load(null);
    expect(checkOnly).toBe(false);
    expect(configPath).toBeNull();
    expect(config).toEqual({
      interfaces: [],
      excludeInterfaces: [],
      ownAddresses: true,
      ipv6: true,
      ipv6LinkLocal: false,
      ipv6Temporary: false,
      ipv6Deprecated: false,
      excludeAddresses: [],
      delegates: [],
      ignoreMacs: [],
      proxyCanaries: [],
      proxyThreshold: 4,
      proxiedNetworks: [],
      probeIntervalMs: 10_000,
      announceIntervalMs: 60_000,
      defend: 'once',
      clearAfter: 3,
      maxSendRate: 50,
      stateDir: '/var/lib/dupip',
      controlSocket: '/run/dupip/dupip.sock',
      web: { listenAddresses: [':10227'], maxConnections: 64 },
      logLevel: 'info',
      notify: { command: [], timeoutMs: 10_000 },
    });
    expect(config.web.configFile).toBeUndefined();
  });

  it('an empty file or one with only comments gives the defaults', () => {
    expect(load('').config).toEqual(defaultConfig());
    expect(load('# nothing here\n').config).toEqual(defaultConfig());
  });

  it('a key with no value is the same as leaving it out', () => {
    expect(load('interfaces:\nprobe_interval:\nweb:\n').config).toEqual(defaultConfig());
  });

  it('returns fresh objects: mutating one result does not leak into the next or into DEFAULTS', () => {
    const a = load(null).config;
    a.interfaces.push('eth9');
    a.web.listenAddresses.push(':1');
    const b = load(null).config;
    expect(b.interfaces).toEqual([]);
    expect(b.web.listenAddresses).toEqual([':10227']);
    expect(DEFAULTS.web.listenAddresses).toEqual([':10227']);
    expect(Object.isFrozen(DEFAULTS.web.listenAddresses)).toBe(true);
  });
});

describe('ConfigError', () => {
  it('carries exit code 78 and one issue per problem', () => {
    const e = fail('probe_interval: fast\nclear_after: 0\n');
    expect(e.exitCode).toBe(78);
    expect(e.issues).toHaveLength(2);
    expect(e.message.split('\n')).toEqual(e.issues.map((i) => i.text));
  });

  it('names the file and the field, with the line of the value', () => {
    const e = fail('delegates:\n  - address: 198.51.100.10\n  - address: 198.51.100.300\n');
    expect(e.message).toBe(`dupip: ${FILE}: delegates[1].address: "198.51.100.300" is not an IPv4 address`);
    expect(e.issues[0]!.where).toEqual({ kind: 'file', file: FILE, field: 'delegates[1].address', line: 3 });
  });

  it('names the flag', () => {
    expect(message(null, ['--probe-interval', 'fast'])).toBe(
      'dupip: --probe-interval: "fast" is not a duration (e.g. 500ms, 10s, 5m)',
    );
  });

  it('reports problems of the file and of the flags together', () => {
    const e = fail('defend: always\n', ['--log-level', 'loud']);
    expect(e.issues.map((i) => i.text)).toEqual([
      'dupip: --log-level: "loud" is not a log level (trace, debug, info, warn, error, fatal)',
      `dupip: ${FILE}: defend: "always" is not a defend mode (once, never)`,
    ]);
  });
});

describe('reading the file', () => {
  it('a missing file is named', () => {
    expect(message(null, ['--config', '/nonexistent/dupip.yml'])).toBe(
      'dupip: /nonexistent/dupip.yml: cannot read the configuration file: no such file',
    );
  });

  it('other read errors are reported with their reason', () => {
    const readFile = (): string => {
      throw Object.assign(new Error('EACCES'), { code: 'EACCES' });
    };
    expect(() => loadConfig({ argv: ['--config', FILE], readFile })).toThrow(
      `dupip: ${FILE}: cannot read the configuration file: permission denied`,
    );
  });

  it('reads only the --config path, through the injected readFile', () => {
    const read: string[] = [];
    loadConfig({
      argv: ['--config', 'relative/dupip.yml'],
      readFile: (p) => {
        read.push(p);
        return 'log_level: warn\n';
      },
    });
    expect(read).toEqual(['relative/dupip.yml']);
  });

  it('a byte-order mark is ignored', () => {
    expect(load('\uFEFFlog_level: warn\n').config.logLevel).toBe('warn');
  });

  it('is repeatable: the same argv gives the same result again (SIGHUP reload)', () => {
    let text = 'probe_interval: 5s\n';
    const opts = { argv: ['--config', FILE, '--log-level', 'debug'], readFile: () => text };
    const first = loadConfig(opts);
    expect(first.config.probeIntervalMs).toBe(5_000);
    text = 'probe_interval: 20s\n';
    const second = loadConfig(opts);
    expect(second.config.probeIntervalMs).toBe(20_000);
    expect(second.config.logLevel).toBe('debug');
    expect(first.config.probeIntervalMs).toBe(5_000);
  });
});

describe('YAML syntax', () => {
  it('reports syntax errors with file, line and column', () => {
    const e = fail('interfaces: [eth0\nprobe_interval: 10s\n');
    expect(e.message).toMatch(new RegExp(`^dupip: ${FILE}: line 2, column 1: invalid YAML: `));
    expect(e.issues[0]!.where).toMatchObject({ kind: 'file', file: FILE, line: 2 });
  });

  it('reports duplicate keys', () => {
    expect(message('log_level: info\nlog_level: debug\n')).toBe(
      `dupip: ${FILE}: line 2, column 1: invalid YAML: Map keys must be unique`,
    );
  });

  it('rejects several documents in one file', () => {
    expect(message('log_level: info\n---\nlog_level: debug\n')).toMatch(/line 2, column 1: invalid YAML: .*multiple documents/);
  });

  it('rejects a top level that is not a mapping', () => {
    expect(message('- eth0\n')).toBe(
      `dupip: ${FILE}: expected a mapping of settings at the top level (e.g. "probe_interval: 10s"), got a list`,
    );
    expect(message('just text\n')).toMatch(/top level .* got "just text"$/);
  });
});

describe('unknown keys', () => {
  it('are named with the closest known key', () => {
    expect(message('probe_intervall: 10s\n')).toBe(
      `dupip: ${FILE}: probe_intervall: unknown key (did you mean "probe_interval"?); known keys: interfaces, exclude_interfaces, own_addresses, ipv6, ipv6_link_local, ipv6_temporary, ipv6_deprecated, exclude_addresses, delegates, ignore_macs, proxy_canary, proxy_threshold, proxied_network, probe_interval, announce_interval, defend, clear_after, max_send_rate, state_dir, control_socket, web, log_level, notify`,
    );
  });

  it('suggest the snake_case spelling of camelCase and kebab-case keys', () => {
    expect(message('probeInterval: 10s\n')).toContain('probeInterval: unknown key (did you mean "probe_interval"?)');
    expect(message('max-send-rate: 10\n')).toContain('max-send-rate: unknown key (did you mean "max_send_rate"?)');
    expect(message('interface: eth0\n')).toContain('interface: unknown key (did you mean "interfaces"?)');
  });

  it('suggest the nested key for keys that belong under web or a delegate', () => {
    expect(message('listen_addresses: [":1"]\n')).toContain('listen_addresses: unknown key (did you mean "web.listen_addresses"?)');
    expect(message('allowed_macs: []\n')).toContain('(did you mean "delegates[].allowed_macs"?)');
  });

  it('make no suggestion when nothing is close', () => {
    expect(message('colour: blue\n')).toBe(
      `dupip: ${FILE}: colour: unknown key; known keys: interfaces, exclude_interfaces, own_addresses, ipv6, ipv6_link_local, ipv6_temporary, ipv6_deprecated, exclude_addresses, delegates, ignore_macs, proxy_canary, proxy_threshold, proxied_network, probe_interval, announce_interval, defend, clear_after, max_send_rate, state_dir, control_socket, web, log_level, notify`,
    );
  });

  it('are rejected inside web and delegates, with the line of the key', () => {
    const e = fail('web:\n  listen_address: ":1"\ndelegates:\n  - address: 198.51.100.10\n    allowed_mac: [02:00:00:00:00:01]\n');
    expect(e.issues.map((i) => i.text)).toEqual([
      `dupip: ${FILE}: delegates[0].allowed_mac: unknown key (did you mean "allowed_macs"?); known keys: address, interface, allowed_macs`,
      `dupip: ${FILE}: web.listen_address: unknown key (did you mean "listen_addresses"?); known keys: listen_addresses, config_file, max_connections`,
    ]);
    expect(e.issues.map((i) => (i.where.kind === 'file' ? i.where.line : null))).toEqual([5, 2]);
  });
});

describe('flags over the file', () => {
  const fileText = [
    'interfaces: [eth0, eth1]',
    'delegates:',
    '  - address: 198.51.100.10',
    '    allowed_macs: [02:00:00:00:00:01]',
    'ignore_macs: [02:00:00:00:00:09]',
    'probe_interval: 5s',
    'announce_interval: 30s',
    'defend: once',
    'clear_after: 4',
    'max_send_rate: 100',
    'state_dir: /srv/a',
    'control_socket: /run/a.sock',
    'web:',
    '  listen_addresses: [":1"]',
    '  config_file: /etc/a-web.yml',
    'log_level: warn',
    '',
  ].join('\n');

  it('keeps the file values when no flag is given', () => {
    const { config, configPath } = load(fileText);
    expect(configPath).toBe(FILE);
    expect(config.interfaces).toEqual(['eth0', 'eth1']);
    expect(config.probeIntervalMs).toBe(5_000);
    expect(config.web.configFile).toBe('/etc/a-web.yml');
  });

  it('each flag overrides its key; repeatable flags replace the list', () => {
    const { config } = load(fileText, [
      '--interface', 'eth2',
      '--interface', 'eth3',
      '--exclude-interface', 'veth*',
      '--delegate', '203.0.113.1@eth2',
      '--delegate', '203.0.113.2',
      '--no-own-addresses',
      '--no-ipv6',
      '--ipv6-link-local',
      '--ipv6-temporary',
      '--ipv6-deprecated',
      '--delegate', '2001:DB8:0::10@eth3',
      '--ignore-mac', '02:00:00:00:00:AA',
      '--proxy-canary', '203.0.113.254',
      '--proxy-threshold', '0',
      '--proxied-network', 'eth2',
      '--probe-interval', '2s',
      '--announce-interval', '0',
      '--defend', 'never',
      '--clear-after', '7',
      '--max-send-rate', '9',
      '--state-dir', '/srv/b',
      '--control-socket', '/run/b.sock',
      '--web.listen-address', '127.0.0.1:2',
      '--web.listen-address', '[::1]:2',
      '--web.config.file', '/etc/b-web.yml',
      '--web.max-connections', '5',
      '--log-level', 'error',
    ]);
    expect(config).toEqual({
      interfaces: ['eth2', 'eth3'],
      excludeInterfaces: ['veth*'],
      ownAddresses: false,
      ipv6: false,
      ipv6LinkLocal: true,
      ipv6Temporary: true,
      ipv6Deprecated: true,
      excludeAddresses: [],
      delegates: [
        { address: ip('203.0.113.1'), interface: 'eth2', allowedMacs: [] },
        { address: ip('203.0.113.2'), allowedMacs: [] },
        { address: parseIpv6('2001:db8::10'), interface: 'eth3', allowedMacs: [] },
      ],
      ignoreMacs: ['02:00:00:00:00:aa'],
      proxyCanaries: [ip('203.0.113.254')],
      proxyThreshold: 0,
      proxiedNetworks: ['eth2'],
      probeIntervalMs: 2_000,
      announceIntervalMs: 0,
      defend: 'never',
      clearAfter: 7,
      maxSendRate: 9,
      stateDir: '/srv/b',
      controlSocket: '/run/b.sock',
      web: { listenAddresses: ['127.0.0.1:2', '[::1]:2'], configFile: '/etc/b-web.yml', maxConnections: 5 },
      logLevel: 'error',
      notify: { command: [], timeoutMs: 10_000 },
    });
  });

  it('--web.config.file= clears the file\'s config_file', () => {
    expect(load(fileText, ['--web.config.file=']).config.web.configFile).toBeUndefined();
  });

  it('--no-own-addresses with delegates from the file is valid; without any, nothing to monitor', () => {
    expect(load('delegates: [{address: 198.51.100.10}]\n', ['--no-own-addresses']).config.ownAddresses).toBe(false);
    expect(message(null, ['--no-own-addresses'])).toBe(
      'dupip: --no-own-addresses: nothing to monitor: own addresses are turned off and no delegates are configured',
    );
  });

  it('--interface replacing the list is checked against the file\'s delegate interfaces', () => {
    expect(message('delegates:\n  - address: 198.51.100.10\n    interface: eth0\n', ['--interface', 'eth1'])).toBe(
      `dupip: ${FILE}: delegates[0].interface: interface "eth0" is not one of the configured interfaces [eth1] (set by --interface); add it there`,
    );
    expect(message(null, ['--interface', 'eth1', '--delegate', '198.51.100.10@eth0'])).toBe(
      'dupip: --delegate: interface "eth0" is not one of the configured interfaces [eth1] (set by --interface); add it there',
    );
  });

  it('a valid flag does not hide a problem in the file', () => {
    expect(message('probe_interval: fast\n', ['--probe-interval', '1s'])).toBe(
      `dupip: ${FILE}: probe_interval: "fast" is not a duration (e.g. 500ms, 10s, 5m)`,
    );
  });
});
