/** One section per setting of the configuration file: its values, its checks and their messages. */
import { describe, expect, it } from 'vitest';
import { parseListenAddress } from '../../src/config/index.js';
import { FILE, fail, ip, load, message } from '../support/config-load.js';

describe('interfaces', () => {
  it('accepts a list of names', () => {
    expect(load('interfaces: [eth0, bond0.100, enp3s0f1]\n').config.interfaces).toEqual(['eth0', 'bond0.100', 'enp3s0f1']);
  });

  it('an empty list means every suitable interface', () => {
    expect(load('interfaces: []\n').config.interfaces).toEqual([]);
  });

  it.each([
    ['eth0/1', 'interfaces[0]: "eth0/1" is not a valid interface name'],
    ['eth0:1', 'interfaces[0]: "eth0:1" is not a valid interface name'],
    ['"a very long interface"', 'is not a valid interface name (1 to 15 characters'],
    ['""', 'interfaces[0]: "" is not a valid interface name'],
    ['".."', 'interfaces[0]: ".." is not a valid interface name'],
    ['1', 'interfaces[0]: expected an interface name, got 1'],
  ])('rejects %s', (item, expected) => {
    expect(message(`interfaces: [${item}]\n`)).toContain(expected);
  });

  it('rejects a scalar where a list is expected', () => {
    expect(message('interfaces: eth0\n')).toBe(`dupip: ${FILE}: interfaces: expected a list (e.g. [eth0]), got "eth0"`);
  });

  it('rejects an interface listed twice', () => {
    expect(message('interfaces: [eth0, eth1, eth0]\n')).toBe(`dupip: ${FILE}: interfaces[2]: "eth0" is already listed as interfaces[0]`);
  });

  it('rejects empty list entries', () => {
    expect(message('interfaces:\n  - eth0\n  -\n')).toBe(`dupip: ${FILE}: interfaces[1]: empty list entry`);
  });
});

describe('own_addresses', () => {
  it('accepts true and false', () => {
    expect(load('own_addresses: true\n').config.ownAddresses).toBe(true);
    expect(load('own_addresses: false\ndelegates: [{address: 198.51.100.10}]\n').config.ownAddresses).toBe(false);
  });

  it('rejects YAML 1.1 booleans and other types', () => {
    expect(message('own_addresses: yes\n')).toBe(`dupip: ${FILE}: own_addresses: expected true or false, got "yes"`);
    expect(message('own_addresses: 1\n')).toContain('own_addresses: expected true or false, got 1');
  });

  it('an invalid delegate is not also reported as "nothing to monitor"', () => {
    expect(fail('own_addresses: false\ndelegates: [{address: 198.51.100.300}]\n').issues.map((i) => i.problem)).toEqual([
      '"198.51.100.300" is not an IPv4 address',
    ]);
  });

  it('turned off with no delegates leaves nothing to monitor', () => {
    expect(message('own_addresses: false\n')).toBe(
      `dupip: ${FILE}: own_addresses: nothing to monitor: own addresses are turned off and no delegates are configured`,
    );
  });
});

describe('exclude_addresses', () => {
  it('accepts addresses (as /32) and CIDRs', () => {
    expect(load('exclude_addresses: [192.0.2.7, 203.0.113.0/24, 0.0.0.0/0]\n').config.excludeAddresses).toEqual([
      { prefix: ip('192.0.2.7'), length: 32 },
      { prefix: ip('203.0.113.0'), length: 24 },
      { prefix: 0, length: 0 },
    ]);
  });

  it.each([
    ['203.0.113.0/33', '"203.0.113.0/33" is not an IPv4 address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24)'],
    ['203.0.113.0/024', '"203.0.113.0/024" is not an IPv4 address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24)'],
    ['203.0.113/24', '"203.0.113/24" is not an IPv4 address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24)'],
    ['203.0.113.0/', '"203.0.113.0/" is not an IPv4 address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24)'],
    ['2001:db8::/32', '"2001:db8::/32" is not an IPv4 address or CIDR (e.g. 198.51.100.7 or 198.51.100.0/24)'],
    ['203.0.113.5/24', '"203.0.113.5/24" has host bits set (did you mean 203.0.113.0/24?)'],
  ])('rejects %s', (item, expected) => {
    expect(message(`exclude_addresses: ["${item}"]\n`)).toBe(`dupip: ${FILE}: exclude_addresses[0]: ${expected}`);
  });

  it('rejects duplicates, also when written differently', () => {
    expect(message('exclude_addresses: [192.0.2.7, 192.0.2.7/32]\n')).toBe(
      `dupip: ${FILE}: exclude_addresses[1]: 192.0.2.7 is already listed as exclude_addresses[0]`,
    );
  });
});

describe('delegates', () => {
  it('accepts address, interface and allowed_macs (normalised to lower-case colons)', () => {
    const { config } = load(
      'interfaces: [eth0]\ndelegates:\n  - address: 198.51.100.10\n    interface: eth0\n    allowed_macs: [02:00:00:00:00:0A, "02-00-00-00-00-0b"]\n  - address: 203.0.113.5\n',
    );
    expect(config.delegates).toEqual([
      { address: ip('198.51.100.10'), interface: 'eth0', allowedMacs: ['02:00:00:00:00:0a', '02:00:00:00:00:0b'] },
      { address: ip('203.0.113.5'), allowedMacs: [] },
    ]);
    expect('interface' in config.delegates[1]!).toBe(false);
  });

  it('accepts VRRP MACs as allowed peers', () => {
    expect(load('delegates: [{address: 198.51.100.10, allowed_macs: [00:00:5e:00:01:33]}]\n').config.delegates[0]!.allowedMacs).toEqual([
      '00:00:5e:00:01:33',
    ]);
  });

  it('requires an address', () => {
    expect(message('delegates:\n  - interface: eth0\n')).toBe(
      `dupip: ${FILE}: delegates[0]: missing address (e.g. "address: 198.51.100.10" or "address: 2001:db8::10")`,
    );
  });

  it.each([
    ['198.51.100.300', '"198.51.100.300" is not an IPv4 address'],
    ['198.51.100.010', '"198.51.100.010" is not an IPv4 address'],
    ['0.0.0.0', '"0.0.0.0" cannot be monitored: it is in 0.0.0.0/8 ("this network")'],
    ['127.0.0.1', '"127.0.0.1" cannot be monitored: it is a loopback address'],
    ['224.0.0.18', '"224.0.0.18" cannot be monitored: it is a multicast address'],
    ['255.255.255.255', '"255.255.255.255" cannot be monitored: it is the broadcast address'],
  ])('rejects address %s', (address, expected) => {
    expect(message(`delegates:\n  - address: "${address}"\n`)).toBe(`dupip: ${FILE}: delegates[0].address: ${expected}`);
  });

  it('rejects a non-string address', () => {
    expect(message('delegates:\n  - address: 42\n')).toBe(`dupip: ${FILE}: delegates[0].address: expected an IPv4 address, got 42`);
  });

  it('rejects the same address listed twice', () => {
    expect(message('delegates:\n  - address: 198.51.100.10\n  - address: 198.51.100.11\n  - address: 198.51.100.10\n    interface: eth1\n')).toBe(
      `dupip: ${FILE}: delegates[2].address: 198.51.100.10 is already listed as delegates[0]`,
    );
  });

  it('rejects invalid, multicast and zero MACs, and a MAC listed twice', () => {
    const base = 'delegates:\n  - address: 198.51.100.10\n    allowed_macs: ';
    expect(message(`${base}[02:00:00:00:00:zz]\n`)).toBe(
      `dupip: ${FILE}: delegates[0].allowed_macs[0]: "02:00:00:00:00:zz" is not a MAC address (e.g. 02:00:5e:10:00:01)`,
    );
    expect(message(`${base}[01:00:5e:00:00:12]\n`)).toContain('is a multicast/broadcast MAC address, not a host\'s MAC address');
    expect(message(`${base}[ff:ff:ff:ff:ff:ff]\n`)).toContain('multicast/broadcast');
    expect(message(`${base}["00:00:00:00:00:00"]\n`)).toContain('is all zeros');
    expect(message(`${base}[02:00:00:00:00:01, 02-00-00-00-00-01]\n`)).toBe(
      `dupip: ${FILE}: delegates[0].allowed_macs[1]: 02:00:00:00:00:01 is already listed as delegates[0].allowed_macs[0]`,
    );
  });

  it('rejects an invalid interface name', () => {
    expect(message('delegates:\n  - address: 198.51.100.10\n    interface: eth0:1\n')).toContain('delegates[0].interface: "eth0:1" is not a valid interface name');
  });

  it('rejects entries that are not mappings, with a hint for bare addresses', () => {
    expect(message('delegates: [198.51.100.10]\n')).toBe(
      `dupip: ${FILE}: delegates[0]: expected a mapping with an address, got "198.51.100.10" (write "- address: 198.51.100.10")`,
    );
    expect(message('delegates: {address: 198.51.100.10}\n')).toContain('delegates: expected a list of delegates');
  });

  it('a delegate interface must be one of the configured interfaces', () => {
    expect(message('interfaces: [eth0]\ndelegates:\n  - address: 198.51.100.10\n    interface: eth1\n')).toBe(
      `dupip: ${FILE}: delegates[0].interface: interface "eth1" is not one of the configured interfaces [eth0]; add it there`,
    );
    expect(load('delegates:\n  - address: 198.51.100.10\n    interface: eth1\n').config.delegates[0]!.interface).toBe('eth1');
  });
});

describe('ignore_macs', () => {
  it('accepts any MAC, normalised', () => {
    expect(load('ignore_macs: [02:00:5E:AA:BB:CC, "ff-ff-ff-ff-ff-ff"]\n').config.ignoreMacs).toEqual([
      '02:00:5e:aa:bb:cc',
      'ff:ff:ff:ff:ff:ff',
    ]);
  });

  it('rejects invalid MACs and a scalar', () => {
    expect(message('ignore_macs: [02:00:00:00:00]\n')).toBe(
      `dupip: ${FILE}: ignore_macs[0]: "02:00:00:00:00" is not a MAC address (e.g. 02:00:5e:10:00:01)`,
    );
    expect(message('ignore_macs: 02:00:00:00:00:01\n')).toContain('ignore_macs: expected a list');
    expect(message('ignore_macs: ["0200.0000.0001"]\n')).toContain('is not a MAC address');
  });
});

describe('probe_interval and announce_interval', () => {
  it('accept durations', () => {
    const { config } = load('probe_interval: 1m30s\nannounce_interval: 5m\n');
    expect(config.probeIntervalMs).toBe(90_000);
    expect(config.announceIntervalMs).toBe(300_000);
  });

  it('probe_interval is at least 100ms', () => {
    expect(load('probe_interval: 100ms\n').config.probeIntervalMs).toBe(100);
    expect(message('probe_interval: 99ms\n')).toBe(`dupip: ${FILE}: probe_interval: "99ms" is too short: at least 100ms`);
    expect(message('probe_interval: 0\n')).toBe(`dupip: ${FILE}: probe_interval: 0 is too short: at least 100ms`);
    expect(message('probe_interval: "0s"\n')).toBe(`dupip: ${FILE}: probe_interval: "0s" is too short: at least 100ms`);
  });

  it('announce_interval is 0 (disabled) or at least 1s', () => {
    expect(load('announce_interval: 0\n').config.announceIntervalMs).toBe(0);
    expect(load('announce_interval: 0s\n').config.announceIntervalMs).toBe(0);
    expect(load('announce_interval: 1s\n').config.announceIntervalMs).toBe(1_000);
    expect(message('announce_interval: 999ms\n')).toBe(
      `dupip: ${FILE}: announce_interval: "999ms" is too short: use 0 (disabled) or at least 1s`,
    );
  });

  it('both are at most 24h', () => {
    expect(load('probe_interval: 24h\n').config.probeIntervalMs).toBe(86_400_000);
    expect(message('announce_interval: 25h\n')).toBe(`dupip: ${FILE}: announce_interval: "25h" is too long: at most 24h`);
  });

  it('reject numbers without a unit, bad text and other types', () => {
    expect(message('probe_interval: 10\n')).toBe(`dupip: ${FILE}: probe_interval: 10 is not a duration: missing unit (e.g. "10s")`);
    expect(message('probe_interval: fast\n')).toBe(`dupip: ${FILE}: probe_interval: "fast" is not a duration (e.g. 500ms, 10s, 5m)`);
    expect(message('probe_interval: -5s\n')).toContain('durations cannot be negative');
    expect(message('announce_interval: [1s]\n')).toBe(
      `dupip: ${FILE}: announce_interval: expected a duration (e.g. 500ms, 10s, 5m), got a list`,
    );
  });
});

describe('defend', () => {
  it('accepts once and never', () => {
    expect(load('defend: once\n').config.defend).toBe('once');
    expect(load('defend: never\n').config.defend).toBe('never');
  });

  it('rejects other values, suggesting a close one', () => {
    expect(message('defend: always\n')).toBe(`dupip: ${FILE}: defend: "always" is not a defend mode (once, never)`);
    expect(message('defend: nevr\n')).toBe(`dupip: ${FILE}: defend: "nevr" is not a defend mode (once, never); did you mean "never"?`);
    expect(message('defend: false\n')).toBe(`dupip: ${FILE}: defend: expected one of once, never, got false`);
  });
});

describe('clear_after and max_send_rate', () => {
  it('accept integers in range', () => {
    const { config } = load('clear_after: 1\nmax_send_rate: 10000\n');
    expect(config.clearAfter).toBe(1);
    expect(config.maxSendRate).toBe(10_000);
    expect(load('max_send_rate: 1\n').config.maxSendRate).toBe(1);
  });

  it.each([
    ['clear_after: 0', 'clear_after: 0 is too small: at least 1'],
    ['clear_after: -2', 'clear_after: -2 is too small: at least 1'],
    ['clear_after: 2.5', 'clear_after: 2.5 is not an integer'],
    ['clear_after: "3"', 'clear_after: expected an integer, got "3"'],
    ['max_send_rate: 0', 'max_send_rate: 0 is too small: at least 1'],
    ['max_send_rate: 10001', 'max_send_rate: 10001 is too large: at most 10000'],
    ['max_send_rate: .inf', 'max_send_rate: Infinity is not an integer'],
  ])('rejects %s', (yaml, expected) => {
    expect(message(`${yaml}\n`)).toBe(`dupip: ${FILE}: ${expected}`);
  });
});

describe('state_dir and control_socket', () => {
  it('accept absolute paths', () => {
    const { config } = load('state_dir: /srv/dupip\ncontrol_socket: /run/dupip.sock\n');
    expect(config.stateDir).toBe('/srv/dupip');
    expect(config.controlSocket).toBe('/run/dupip.sock');
  });

  it('reject relative paths and other types', () => {
    expect(message('state_dir: var/lib/dupip\n')).toBe(
      `dupip: ${FILE}: state_dir: "var/lib/dupip" is not an absolute path (it must start with "/")`,
    );
    expect(message('control_socket: ""\n')).toContain('control_socket: "" is not an absolute path');
    expect(message('state_dir: 5\n')).toBe(`dupip: ${FILE}: state_dir: expected an absolute path, got 5`);
  });

  it('control_socket must fit a Unix socket address (107 bytes)', () => {
    const fits = `/${'s'.repeat(106)}`;
    expect(load(`control_socket: ${fits}\n`).config.controlSocket).toBe(fits);
    expect(message(`control_socket: ${fits}x\n`)).toContain('is too long for a Unix socket path (108 bytes, at most 107)');
  });
});

describe('web', () => {
  it('accepts listen addresses and a config file', () => {
    const { config } = load(
      'web:\n  listen_addresses: ["127.0.0.1:10227", "[::1]:10227", "[::]:9", ":0", "localhost:8080", "metrics.example.org:443"]\n  config_file: /etc/dupip/web.yml\n',
    );
    expect(config.web).toEqual({
      listenAddresses: ['127.0.0.1:10227', '[::1]:10227', '[::]:9', ':0', 'localhost:8080', 'metrics.example.org:443'],
      configFile: '/etc/dupip/web.yml',
      maxConnections: 64,
    });
  });

  it('max_connections: an integer from 1 to 10000', () => {
    expect(load('web:\n  max_connections: 8\n').config.web.maxConnections).toBe(8);
    expect(load(null, ['--web.max-connections', '300']).config.web.maxConnections).toBe(300);
    expect(message('web:\n  max_connections: 0\n')).toBe(`dupip: ${FILE}: web.max_connections: 0 is too small: at least 1`);
    expect(message(null, ['--web.max-connections', '10001'])).toBe('dupip: --web.max-connections: 10001 is too large: at most 10000');
    expect(message('max_connections: 8\n')).toContain('(did you mean "web.max_connections"?)');
  });

  it('an empty config_file means none', () => {
    expect(load('web:\n  config_file: ""\n').config.web.configFile).toBeUndefined();
  });

  it.each([
    ['10227', '"10227" is not a listen address (host:port, [::]:port or :port); did you mean ":10227"?'],
    ['::1:10227', '"::1:10227" is not a listen address: put an IPv6 address in brackets, e.g. [::1]:10227'],
    [':70000', '":70000": port 70000 is out of range (0-65535)'],
    ['[fe80::zz]:1', '"[fe80::zz]:1": "fe80::zz" is not an IPv6 address'],
    ['198.51.100.300:1', '"198.51.100.300:1": "198.51.100.300" is not an IPv4 address or host name'],
    ['bad_host:1', '"bad_host:1": "bad_host" is not an IPv4 address or host name'],
    ['127.0.0.1', '"127.0.0.1" is not a listen address (host:port, [::]:port or :port)'],
    [':', '":" is not a listen address (host:port, [::]:port or :port)'],
  ])('rejects listen address %s', (addr, expected) => {
    expect(message(`web:\n  listen_addresses: ["${addr}"]\n`)).toBe(`dupip: ${FILE}: web.listen_addresses[0]: ${expected}`);
  });

  it('rejects an empty list, duplicates, and a relative config_file', () => {
    expect(message('web:\n  listen_addresses: []\n')).toBe(
      `dupip: ${FILE}: web.listen_addresses: must list at least one address (e.g. [":10227"])`,
    );
    expect(message('web:\n  listen_addresses: [":1", ":1"]\n')).toContain('web.listen_addresses[1]: ":1" is already listed as web.listen_addresses[0]');
    expect(message('web:\n  config_file: web.yml\n')).toContain('web.config_file: "web.yml" is not an absolute path');
    expect(message('web: ":10227"\n')).toContain('web: expected a mapping');
  });
});

describe('parseListenAddress', () => {
  it('splits host and port', () => {
    expect(parseListenAddress(':10227')).toEqual({ host: '', port: 10227 });
    expect(parseListenAddress('[::]:10227')).toEqual({ host: '::', port: 10227 });
    expect(parseListenAddress('192.0.2.1:80')).toEqual({ host: '192.0.2.1', port: 80 });
    expect(typeof parseListenAddress('nope')).toBe('string');
  });
});

describe('notify', () => {
  it('takes an argv list, the program an absolute path, and a timeout', () => {
    const c = load('notify:\n  command: [/usr/local/bin/notify, --to, ops, 3]\n  timeout: 2s\n').config;
    expect(c.notify.command).toEqual(['/usr/local/bin/notify', '--to', 'ops', '3']);
    expect(c.notify.timeoutMs).toBe(2000);
    expect(load('notify:\n  command: []\n').config.notify.command).toEqual([]);
  });

  it('names the field of every mistake', () => {
    expect(message('notify:\n  command: /bin/notify --to ops\n')).toBe(
      `dupip: ${FILE}: notify.command: expected a list, the program then its arguments, got "/bin/notify --to ops" (write ["/bin/notify --to ops"]: a list, the program first, no shell)`,
    );
    expect(message('notify:\n  command: [notify]\n')).toBe(`dupip: ${FILE}: notify.command[0]: "notify" is not an absolute path (it must start with "/")`);
    expect(message('notify:\n  command: [/bin/notify, [a]]\n')).toBe(`dupip: ${FILE}: notify.command[1]: expected a string, got a list`);
    expect(message('notify:\n  timeout: 20m\n')).toMatch(/^dupip: .*: notify\.timeout: "20m" is too long/);
    expect(message('notify: /bin/notify\n')).toMatch(/^dupip: .*: notify: expected a mapping/);
    expect(message('notify:\n  commands: [/bin/x]\n')).toMatch(/notify\.commands: unknown key \(did you mean "command"\?\)/);
  });
});

describe('log_level', () => {
  it.each(['trace', 'debug', 'info', 'warn', 'error', 'fatal'])('accepts %s', (level) => {
    expect(load(`log_level: ${level}\n`).config.logLevel).toBe(level);
  });

  it('rejects unknown levels, suggesting a close one', () => {
    expect(message('log_level: warning\n')).toBe(
      `dupip: ${FILE}: log_level: "warning" is not a log level (trace, debug, info, warn, error, fatal); did you mean "warn"?`,
    );
    expect(message('log_level: INFO\n')).toContain('did you mean "info"?');
  });
});
