// The fixtures in test/fixtures/config and the examples in docs/config.md, read from disk with the
// default readFile.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ConfigError, DAEMON_FLAGS, defaultConfig, loadConfig } from '../../src/config/index.js';
import { DELEGATE_KEYS, TOP_LEVEL_KEYS, WEB_KEYS, NOTIFY_KEYS } from '../../src/config/schema.js';
import { parseIpv4 } from '../../src/core/ipv4.js';
import { parseIpv6 } from '../../src/core/ipv6.js';

const fixture = (name: string): string => fileURLToPath(new URL(`../fixtures/config/${name}`, import.meta.url));
const DOCS = fileURLToPath(new URL('../../docs/config.md', import.meta.url));

function issuesOf(file: string, argv: string[] = []): string[] {
  try {
    loadConfig({ argv: ['--config', file, ...argv] });
  } catch (e) {
    expect(e).toBeInstanceOf(ConfigError);
    expect((e as ConfigError).exitCode).toBe(78);
    return (e as ConfigError).issues.map((i) => i.text);
  }
  throw new Error('expected a ConfigError');
}

describe('fixtures', () => {
  it('valid-full.yml sets every key', () => {
    const file = fixture('valid-full.yml');
    const { config, checkOnly, configPath } = loadConfig({ argv: ['--config', file, '--check-config'] });
    expect(checkOnly).toBe(true);
    expect(configPath).toBe(file);
    expect(config).toEqual({
      interfaces: ['eth0', 'eth1'],
      excludeInterfaces: ['docker0', 'veth*'],
      ownAddresses: true,
      ipv6: true,
      ipv6LinkLocal: true,
      ipv6Temporary: true,
      ipv6Deprecated: true,
      excludeAddresses: [
        { prefix: parseIpv4('192.0.2.7'), length: 32 },
        { prefix: parseIpv4('203.0.113.0'), length: 24 },
      ],
      delegates: [
        { address: parseIpv4('198.51.100.10'), interface: 'eth0', allowedMacs: ['02:00:00:00:00:01', '02:00:00:00:00:02'] },
        { address: parseIpv4('198.51.100.11'), allowedMacs: [] },
        { address: parseIpv6('2001:db8::10'), interface: 'eth1', allowedMacs: [] },
      ],
      ignoreMacs: ['02:00:5e:aa:bb:cc'],
      proxyCanaries: [parseIpv4('192.0.2.254')],
      proxyThreshold: 6,
      proxiedNetworks: ['eth1'],
      probeIntervalMs: 90_000,
      announceIntervalMs: 0,
      defend: 'never',
      clearAfter: 5,
      maxSendRate: 200,
      stateDir: '/var/tmp/dupip-state',
      controlSocket: '/tmp/dupip-test.sock',
      web: { listenAddresses: ['127.0.0.1:10227', '[::1]:10227'], configFile: '/etc/dupip/web.yml', maxConnections: 32 },
      logLevel: 'debug',
      notify: { command: ['/usr/local/bin/dupip-notify', '--to', 'ops'], timeoutMs: 5000 },
    });
    // Every key of the schema is present in the fixture, so "sets every key" stays true.
    const text = readFileSync(file, 'utf8');
    for (const k of [...TOP_LEVEL_KEYS, ...DELEGATE_KEYS, ...WEB_KEYS, ...NOTIFY_KEYS]) expect(text).toMatch(new RegExp(`^\\s*-? ?${k}:`, 'm'));
  });

  it('minimal.yml is the defaults plus one delegate', () => {
    const { config } = loadConfig({ argv: ['--config', fixture('minimal.yml')] });
    expect(config).toEqual({ ...defaultConfig(), delegates: [{ address: parseIpv4('198.51.100.10'), allowedMacs: [] }] });
  });

  it('invalid-syntax.yml: the YAML error with its line', () => {
    const file = fixture('invalid-syntax.yml');
    const issues = issuesOf(file);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatch(new RegExp(`^dupip: ${file}: line 2, column 1: invalid YAML: `));
  });

  it('invalid-unknown-key.yml: each unknown key with a suggestion', () => {
    const file = fixture('invalid-unknown-key.yml');
    expect(issuesOf(file).map((t) => t.replace(/; known keys: .*/, ''))).toEqual([
      `dupip: ${file}: probe_intervall: unknown key (did you mean "probe_interval"?)`,
      `dupip: ${file}: web.listen_address: unknown key (did you mean "listen_addresses"?)`,
    ]);
  });

  it('invalid-delegates.yml: bad address, duplicate address, bad MAC', () => {
    const file = fixture('invalid-delegates.yml');
    expect(issuesOf(file)).toEqual([
      `dupip: ${file}: delegates[1].address: "198.51.100.300" is not an IPv4 address`,
      `dupip: ${file}: delegates[2].address: 198.51.100.10 is already listed as delegates[0]`,
      `dupip: ${file}: delegates[3].allowed_macs[0]: "02:00:00:00:00:zz" is not a MAC address (e.g. 02:00:5e:10:00:01)`,
    ]);
  });

  it('invalid-values.yml: one problem per field, in file order', () => {
    const file = fixture('invalid-values.yml');
    expect(issuesOf(file).map((t) => t.slice(`dupip: ${file}: `.length).split(':')[0])).toEqual([
      'own_addresses',
      'exclude_addresses[0]',
      'ignore_macs',
      'probe_interval',
      'announce_interval',
      'defend',
      'clear_after',
      'max_send_rate',
      'state_dir',
      'web.listen_addresses[0]',
      'log_level',
    ]);
  });

  it('flags fix what they override but the file is still checked', () => {
    const file = fixture('invalid-values.yml');
    expect(issuesOf(file, ['--probe-interval', '1s'])).toContain(`dupip: ${file}: probe_interval: "50ms" is too short: at least 100ms`);
  });
});

describe('docs/config.md', () => {
  const docs = readFileSync(DOCS, 'utf8');

  it('documents every key and every flag', () => {
    for (const k of TOP_LEVEL_KEYS) expect(docs, k).toContain(`### \`${k === 'web' ? 'web.listen_addresses' : k === 'notify' ? 'notify.command' : k}\``);
    for (const k of WEB_KEYS) expect(docs, k).toContain(`### \`web.${k}\``);
    for (const k of NOTIFY_KEYS) expect(docs, k).toContain(`### \`notify.${k}\``);
    for (const k of DELEGATE_KEYS) expect(docs, k).toContain(`| \`${k}\` |`);
    for (const f of DAEMON_FLAGS) expect(docs, f.name).toContain(`| \`--${f.name}${f.arg ? ` ${f.arg.replace('|', '\\|')}` : ''}\` |`);
  });

  it('every yaml example is a valid configuration', () => {
    const blocks = [...docs.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    expect(blocks.length).toBeGreaterThanOrEqual(5);
    for (const block of blocks) {
      expect(() => loadConfig({ argv: ['--config', 'docs-example.yml'], readFile: () => block }), block).not.toThrow();
    }
  });
});
