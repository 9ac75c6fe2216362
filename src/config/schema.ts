/**
 * Every daemon setting, declared once: its YAML key, flag, argument, check, default and help. These
 * declarations drive the YAML reader (file.ts), the flags and `dupip daemon --help` (flags.ts), the
 * defaults and the DaemonConfig type below, and the tables of docs/config.md (checked by
 * test/unit/config-docs.test.ts).
 *
 * How to add a setting: (1) add one entry to SETTINGS (or to its section, e.g. `web`) where it should
 * appear in help and docs, its codec built with value()/duration()/integer()/list() (codecs.ts); its
 * DaemonConfig field follows by itself. (2) `npx vite-node scripts/config-tables.ts`, then describe it in docs/config.md.
 *
 * Pure: no I/O.
 */
import { formatAddress } from '../core/address.js';
import { formatIpv4 } from '../core/ipv4.js';
import {
  checkAbsolutePath,
  checkBoolean,
  checkCidr,
  checkDefend,
  checkInterfaceName,
  checkListenAddress,
  checkLogLevel,
  checkMac,
  checkUnicastIpv4,
  DEFAULT_METRICS_PORT,
  formatCidr,
  LIMITS,
  type Check,
} from './checks.js';
import { delegateFromFlag, readDelegate, DELEGATE_KEYS } from './delegate.js';
import { notifyCommand } from './notify.js';
import { duration, integer, list, NOWHERE, section, value, type ConfigOf, type Entry } from './codecs.js';

export * from './checks.js';
export { DELEGATE_KEYS } from './delegate.js';
export type { Entry, Section, Setting } from './codecs.js';

const absolutePathOrNone = (v: unknown): Check<string | undefined> => (v === '' ? { ok: true, value: undefined } : checkAbsolutePath(v));

/** The settings, in the order of the YAML keys, of `--help` and of docs/config.md. */
export const SETTINGS = {
  interfaces: {
    key: 'interfaces',
    codec: list({ item: checkInterfaceName, id: (n) => JSON.stringify(n), example: '[eth0]' }),
    type: 'list of interface names',
    default: [],
    defaultNote: 'every ARP-capable, non-loopback interface with IPv4 (or a monitored IPv6 address) that faces the network (see below)',
    flag: { name: 'interface', arg: 'IF', help: 'interface to work on' },
    flagDefault: 'every ARP-capable interface with IPv4 or IPv6 that faces the network (docs/config.md)',
  },
  excludeInterfaces: {
    key: 'exclude_interfaces',
    codec: list({ item: checkInterfaceName, id: (n) => JSON.stringify(n), example: '[docker0, "veth*"]' }),
    type: 'list of interface names or prefixes (`veth*`)',
    default: [],
    flag: { name: 'exclude-interface', arg: 'IF', help: 'interface never to work on; a trailing * matches a prefix (veth*)' },
  },
  ownAddresses: {
    key: 'own_addresses',
    codec: value(checkBoolean),
    type: 'boolean',
    default: true,
    flag: { name: 'no-own-addresses', sets: false, help: "monitor only delegates, not this host's own addresses" },
    flagDefault: 'own addresses are monitored',
  },
  ipv6: {
    key: 'ipv6',
    codec: value(checkBoolean),
    type: 'boolean',
    default: true,
    flag: { name: 'no-ipv6', sets: false, help: "do not monitor this host's own IPv6 addresses (IPv6 delegates still are)" },
    flagDefault: 'global and unique-local IPv6 addresses are monitored',
  },
  ipv6LinkLocal: {
    key: 'ipv6_link_local',
    codec: value(checkBoolean),
    type: 'boolean',
    default: false,
    flag: { name: 'ipv6-link-local', sets: true, help: 'monitor the IPv6 link-local addresses (fe80::/10) too' },
  },
  ipv6Temporary: {
    key: 'ipv6_temporary',
    codec: value(checkBoolean),
    type: 'boolean',
    default: false,
    flag: { name: 'ipv6-temporary', sets: true, help: 'monitor IPv6 privacy (temporary) addresses too' },
  },
  ipv6Deprecated: {
    key: 'ipv6_deprecated',
    codec: value(checkBoolean),
    type: 'boolean',
    default: false,
    flag: { name: 'ipv6-deprecated', sets: true, help: 'monitor deprecated IPv6 addresses too' },
  },
  excludeAddresses: {
    key: 'exclude_addresses',
    codec: list({ item: checkCidr, id: formatCidr, example: '[198.51.100.7, 203.0.113.0/24]' }),
    type: 'list of addresses / CIDRs',
    default: [],
  },
  delegates: {
    key: 'delegates',
    codec: list({
      item: readDelegate,
      itemText: delegateFromFlag,
      id: (d) => formatAddress(d.address),
      idAt: ['address'],
      whereAt: (d) => (d.interface !== undefined ? ['interface'] : []),
      listOf: 'a list of delegates',
      example: '"- address: 198.51.100.10"',
    }),
    type: 'list of mappings',
    default: [],
    flag: { name: 'delegate', arg: 'ADDRESS[@IF]', help: 'floating/virtual address (IPv4 or IPv6) to monitor, optionally on interface IF' },
    hoisted: DELEGATE_KEYS.filter((k) => k === 'allowed_macs').map((k) => [k, `delegates[].${k}`] as const),
  },
  ignoreMacs: {
    key: 'ignore_macs',
    codec: list({ item: checkMac, id: (m) => m, example: '[02:00:00:00:00:01]' }),
    type: 'list of MACs',
    default: [],
    flag: { name: 'ignore-mac', arg: 'MAC', help: 'MAC never counted as conflicting' },
  },
  proxyCanaries: {
    key: 'proxy_canary',
    codec: list({ item: checkUnicastIpv4, id: formatIpv4, example: '[198.51.100.254]' }),
    type: 'list of addresses',
    default: [],
    defaultNote: 'none',
    flag: { name: 'proxy-canary', arg: 'ADDRESS', help: 'unused address of a watched subnet, asked for now and then to find proxy ARP' },
  },
  proxyThreshold: {
    key: 'proxy_threshold',
    codec: integer(0, 1000),
    default: 4,
    flag: { name: 'proxy-threshold', arg: 'N', help: 'watched addresses one MAC answers (never claims) to be proxy ARP; 0 off' },
  },
  proxiedNetworks: {
    key: 'proxied_network',
    codec: list({ item: checkInterfaceName, id: (n) => JSON.stringify(n), example: '[eth0]' }),
    type: 'list of interface names',
    default: [],
    defaultNote: 'none',
    flag: { name: 'proxied-network', arg: 'IF', help: 'the network on IF is proxied: a router or the cloud fabric answers ARP' },
  },
  probeIntervalMs: {
    key: 'probe_interval',
    codec: duration({ minMs: LIMITS.probeIntervalMinMs, maxMs: LIMITS.intervalMaxMs }),
    default: '10s',
    flag: { name: 'probe-interval', arg: 'D', help: 'interval between probe rounds, ±20% jitter; at least 100ms' },
  },
  announceIntervalMs: {
    key: 'announce_interval',
    codec: duration({ minMs: LIMITS.announceIntervalMinMs, maxMs: LIMITS.intervalMaxMs, zeroDisables: true }),
    default: '60s',
    flag: { name: 'announce-interval', arg: 'D', help: 'interval between announcements; 0 disables, else at least 1s' },
  },
  defend: {
    key: 'defend',
    codec: value(checkDefend),
    type: '`once` or `never`',
    default: 'once',
    flag: { name: 'defend', arg: 'once|never', help: 'defend a held address against a conflict once per 10s, or never' },
  },
  clearAfter: {
    key: 'clear_after',
    codec: integer(LIMITS.clearAfterMin, LIMITS.clearAfterMax),
    default: 3,
    flag: { name: 'clear-after', arg: 'N', help: 'clean probe rounds before a conflict is over; at least 1' },
  },
  maxSendRate: {
    key: 'max_send_rate',
    codec: integer(LIMITS.maxSendRateMin, LIMITS.maxSendRateMax),
    default: 50,
    flag: { name: 'max-send-rate', arg: 'N', help: 'most frames per second per interface; 1 to 10000' },
  },
  stateDir: {
    key: 'state_dir',
    codec: value((v) => checkAbsolutePath(v)),
    type: 'absolute path',
    default: '/var/lib/dupip',
    flag: { name: 'state-dir', arg: 'DIR', help: 'state directory, an absolute path' },
  },
  controlSocket: {
    key: 'control_socket',
    codec: value((v) => checkAbsolutePath(v, LIMITS.socketPathMaxBytes)),
    type: `absolute path, ≤ ${LIMITS.socketPathMaxBytes} bytes`,
    default: '/run/dupip/dupip.sock',
    flag: { name: 'control-socket', arg: 'PATH', help: 'control socket for "dupip status", an absolute path' },
  },
  web: section('web', 'expected a mapping (e.g. "listen_addresses: [\':10227\']"), got', {
    listenAddresses: {
      key: 'listen_addresses',
      codec: list({ item: checkListenAddress, id: (a) => JSON.stringify(a), example: '[":10227"]', atLeastOne: 'must list at least one address (e.g. [":10227"])' }),
      type: 'list of listen addresses',
      default: [`:${DEFAULT_METRICS_PORT}`],
      flag: { name: 'web.listen-address', arg: 'ADDR', help: 'metrics HTTP listen address: host:port, [::]:port or :port' },
      aliases: ['listen_address'],
    },
    configFile: {
      key: 'config_file',
      codec: value(absolutePathOrNone),
      type: 'absolute path',
      default: '',
      defaultNote: 'none (plain HTTP)',
      flag: { name: 'web.config.file', arg: 'PATH', help: 'exporter-toolkit web configuration file for TLS and basic auth' },
      flagDefault: 'none, plain HTTP',
      optional: true,
    },
    maxConnections: {
      key: 'max_connections',
      codec: integer(LIMITS.webMaxConnectionsMin, LIMITS.webMaxConnectionsMax),
      default: 64,
      flag: { name: 'web.max-connections', arg: 'N', help: 'most HTTP connections at once, shared fairly between clients; 1 to 10000' },
    },
  }),
  logLevel: {
    key: 'log_level',
    codec: value(checkLogLevel),
    type: '`trace` `debug` `info` `warn` `error` `fatal`',
    default: 'info',
    flag: { name: 'log-level', arg: 'L', help: 'trace, debug, info, warn, error or fatal' },
  },
  notify: section('notify', 'expected a mapping (e.g. "command: [/usr/local/bin/dupip-notify]"), got', {
    command: {
      key: 'command',
      codec: notifyCommand,
      default: [],
      defaultNote: 'none',
    },
    timeoutMs: {
      key: 'timeout',
      codec: duration({ minMs: LIMITS.notifyTimeoutMinMs, maxMs: LIMITS.notifyTimeoutMaxMs }),
      default: '10s',
    },
  }),
} as const satisfies Record<string, Entry>;

/** The daemon configuration, as the declarations above make it. */
export type DaemonConfig = ConfigOf<typeof SETTINGS>;
export type WebConfig = DaemonConfig['web'];

/** YAML keys, as in the file (tests and docs). */
export const TOP_LEVEL_KEYS = Object.values(SETTINGS).map((e) => e.key);
export const WEB_KEYS = Object.values(SETTINGS.web.settings).map((e) => e.key);
export const NOTIFY_KEYS = Object.values(SETTINGS.notify.settings).map((e) => e.key);

/** The defaults (docs/config.md), read from the declarations. Deep-frozen; use defaultConfig() for a mutable copy. */
export const DEFAULTS: Readonly<DaemonConfig> = deepFreeze(defaultsOf(SETTINGS) as DaemonConfig);

/** A fresh, mutable copy of the defaults. */
export function defaultConfig(): DaemonConfig {
  return structuredClone(DEFAULTS) as DaemonConfig;
}

function defaultsOf(entries: Record<string, Entry>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, e] of Object.entries(entries)) {
    if ('settings' in e) {
      out[name] = defaultsOf(e.settings);
      continue;
    }
    const v = e.codec.read(e.default, NOWHERE); // throws if a default is invalid
    if (v !== undefined) out[name] = v;
  }
  return out;
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}
