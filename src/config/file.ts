/**
 * Reads the YAML configuration file (text already read) into a Layer, reporting every problem with the
 * file name, the field path (zero-based list indexes: `delegates[1].address`) and, when known, its line.
 *
 * Pure: no I/O.
 */
import { isMap, isScalar, LineCounter, parseDocument, type Document } from 'yaml';
import { formatIpv4 } from '../core/ipv4.js';
import { Issues, type Where } from './errors.js';
import { emptyLayer, setValue, type Layer, type LayerKey, type LayerValues } from './layer.js';
import {
  checkAbsolutePath,
  checkBoolean,
  checkCidr,
  checkDefend,
  checkDuration,
  checkInteger,
  checkInterfaceName,
  checkListenAddress,
  checkLogLevel,
  checkMac,
  checkUnicastIpv4,
  checkUnicastMac,
  closest,
  describe,
  formatCidr,
  DELEGATE_KEYS,
  LIMITS,
  TOP_LEVEL_KEYS,
  WEB_KEYS,
  type Check,
  type Delegate,
} from './schema.js';

type Path = readonly (string | number)[];

export function fieldName(path: Path): string {
  let out = '';
  for (const p of path) out += typeof p === 'number' ? `[${p}]` : out === '' ? p : `.${p}`;
  return out;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parses `text` (the contents of `file`) and checks it; problems go to `issues`. */
export function parseConfigText(text: string, file: string, issues: Issues): Layer {
  const layer = emptyLayer();
  const lineCounter = new LineCounter();
  const doc = parseDocument(text.replace(/^\uFEFF/, ''), { lineCounter, prettyErrors: false, version: '1.2', logLevel: 'error' });

  if (doc.errors.length > 0) {
    for (const err of doc.errors) {
      const { line, col } = lineCounter.linePos(err.pos[0]);
      issues.add({ kind: 'file', file, field: '', line }, `line ${line}, column ${col}: invalid YAML: ${err.message}`);
    }
    return layer;
  }

  let data: unknown;
  try {
    data = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    issues.add({ kind: 'file', file, field: '' }, `invalid YAML: ${(e as Error).message}`);
    return layer;
  }
  if (data === null || data === undefined) return layer; // empty file: all defaults
  if (!isPlainObject(data)) {
    issues.add(
      { kind: 'file', file, field: '', line: 1 },
      `expected a mapping of settings at the top level (e.g. "probe_interval: 10s"), got ${describe(data)}`,
    );
    return layer;
  }

  const r = new FileReader(doc, lineCounter, file, issues, layer);
  r.top(data);
  return layer;
}

class FileReader {
  constructor(
    private readonly doc: Document,
    private readonly lines: LineCounter,
    private readonly file: string,
    private readonly issues: Issues,
    private readonly layer: Layer,
  ) {}

  private line(path: Path, ofKey = false): number | undefined {
    try {
      let node: unknown;
      if (ofKey) {
        const parent = path.length === 1 ? this.doc.contents : this.doc.getIn(path.slice(0, -1), true);
        if (isMap(parent)) {
          const last = path[path.length - 1];
          node = parent.items.find((p) => isScalar(p.key) && String(p.key.value) === String(last))?.key;
        }
      } else {
        node = this.doc.getIn(path, true);
      }
      const range = (node as { range?: [number, number, number] } | undefined)?.range;
      return range ? this.lines.linePos(range[0]).line : undefined;
    } catch {
      return undefined;
    }
  }

  private where(path: Path, ofKey = false): Where {
    const line = this.line(path, ofKey);
    return line === undefined
      ? { kind: 'file', file: this.file, field: fieldName(path) }
      : { kind: 'file', file: this.file, field: fieldName(path), line };
  }

  private problem(path: Path, problem: string, ofKey = false): void {
    this.issues.add(this.where(path, ofKey), problem);
  }

  private unknownKeys(obj: Record<string, unknown>, base: Path, known: readonly string[], extra: Record<string, string> = {}): void {
    for (const key of Object.keys(obj)) {
      if (known.includes(key)) continue;
      const guess = extra[key] ?? closest(key, [...known, ...Object.keys(extra)]);
      const suggestion = guess === null ? '' : ` (did you mean "${extra[guess] ?? guess}"?)`;
      this.problem([...base, key], `unknown key${suggestion}; known keys: ${known.join(', ')}`, true);
    }
  }

  /** Runs a check; records the problem and returns undefined when it fails. */
  private value<T>(path: Path, check: Check<T>): T | undefined {
    if (check.ok) return check.value;
    this.problem(path, check.problem);
    return undefined;
  }

  private set<K extends LayerKey>(key: K, path: Path, value: LayerValues[K] | undefined): void {
    if (value !== undefined) setValue(this.layer, key, value, this.where(path));
  }

  /**
   * A list whose items pass `check`; duplicates (by `identity`) are problems. Returns undefined when the
   * list or any item is invalid.
   */
  private list<T>(path: Path, raw: unknown, check: (item: unknown) => Check<T>, identity: (t: T) => string, example: string): T[] | undefined {
    if (!Array.isArray(raw)) {
      this.problem(path, `expected a list (e.g. ${example}), got ${describe(raw)}`);
      return undefined;
    }
    const out: T[] = [];
    const seen = new Map<string, number>();
    let failed = false;
    raw.forEach((item, i) => {
      const c = check(item);
      if (!c.ok) {
        this.problem([...path, i], item === null ? 'empty list entry' : c.problem);
        failed = true;
        return;
      }
      const id = identity(c.value);
      const first = seen.get(id);
      if (first !== undefined) {
        this.problem([...path, i], `${id} is already listed as ${fieldName([...path, first])}`);
        failed = true;
        return;
      }
      seen.set(id, i);
      out.push(c.value);
    });
    return failed ? undefined : out;
  }

  top(data: Record<string, unknown>): void {
    this.unknownKeys(data, [], TOP_LEVEL_KEYS, {
      listen_addresses: 'web.listen_addresses',
      listen_address: 'web.listen_addresses',
      config_file: 'web.config_file',
      allowed_macs: 'delegates[].allowed_macs',
    });
    // A key with no value (`interfaces:`) is the same as leaving it out.
    const has = (k: string): boolean => data[k] !== null && data[k] !== undefined;

    if (has('interfaces')) {
      this.set(
        'interfaces',
        ['interfaces'],
        this.list(['interfaces'], data.interfaces, checkInterfaceName, (n) => JSON.stringify(n), '[eth0]'),
      );
    }
    if (has('exclude_interfaces')) {
      this.set(
        'excludeInterfaces',
        ['exclude_interfaces'],
        this.list(['exclude_interfaces'], data.exclude_interfaces, checkInterfaceName, (n) => JSON.stringify(n), '[docker0, "veth*"]'),
      );
    }
    if (has('own_addresses')) this.set('ownAddresses', ['own_addresses'], this.value(['own_addresses'], checkBoolean(data.own_addresses)));
    if (has('exclude_addresses')) {
      this.set(
        'excludeAddresses',
        ['exclude_addresses'],
        this.list(['exclude_addresses'], data.exclude_addresses, checkCidr, formatCidr, '[198.51.100.7, 203.0.113.0/24]'),
      );
    }
    if (has('delegates')) this.delegates(data.delegates);
    if (has('ignore_macs')) {
      this.set('ignoreMacs', ['ignore_macs'], this.list(['ignore_macs'], data.ignore_macs, checkMac, (m) => m, '[02:00:00:00:00:01]'));
    }
    if (has('probe_interval')) {
      this.set(
        'probeIntervalMs',
        ['probe_interval'],
        this.value(['probe_interval'], checkDuration(data.probe_interval, { minMs: LIMITS.probeIntervalMinMs, maxMs: LIMITS.intervalMaxMs })),
      );
    }
    if (has('announce_interval')) {
      this.set(
        'announceIntervalMs',
        ['announce_interval'],
        this.value(
          ['announce_interval'],
          checkDuration(data.announce_interval, { minMs: LIMITS.announceIntervalMinMs, maxMs: LIMITS.intervalMaxMs, zeroDisables: true }),
        ),
      );
    }
    if (has('defend')) this.set('defend', ['defend'], this.value(['defend'], checkDefend(data.defend)));
    if (has('clear_after')) {
      this.set('clearAfter', ['clear_after'], this.value(['clear_after'], checkInteger(data.clear_after, LIMITS.clearAfterMin, LIMITS.clearAfterMax)));
    }
    if (has('max_send_rate')) {
      this.set(
        'maxSendRate',
        ['max_send_rate'],
        this.value(['max_send_rate'], checkInteger(data.max_send_rate, LIMITS.maxSendRateMin, LIMITS.maxSendRateMax)),
      );
    }
    if (has('state_dir')) this.set('stateDir', ['state_dir'], this.value(['state_dir'], checkAbsolutePath(data.state_dir)));
    if (has('control_socket')) {
      this.set(
        'controlSocket',
        ['control_socket'],
        this.value(['control_socket'], checkAbsolutePath(data.control_socket, LIMITS.socketPathMaxBytes)),
      );
    }
    if (has('web')) this.web(data.web);
    if (has('log_level')) this.set('logLevel', ['log_level'], this.value(['log_level'], checkLogLevel(data.log_level)));
  }

  private web(raw: unknown): void {
    if (!isPlainObject(raw)) {
      this.problem(['web'], `expected a mapping (e.g. "listen_addresses: [':10227']"), got ${describe(raw)}`);
      return;
    }
    this.unknownKeys(raw, ['web'], WEB_KEYS, { listen_address: 'listen_addresses' });
    if (raw.listen_addresses !== null && raw.listen_addresses !== undefined) {
      const path = ['web', 'listen_addresses'];
      const list = this.list(path, raw.listen_addresses, checkListenAddress, (a) => JSON.stringify(a), '[":10227"]');
      if (list !== undefined && list.length === 0) {
        this.problem(path, 'must list at least one address (e.g. [":10227"])');
      } else {
        this.set('webListenAddresses', path, list);
      }
    }
    if (raw.config_file !== null && raw.config_file !== undefined) {
      const path = ['web', 'config_file'];
      if (raw.config_file === '') {
        setValue(this.layer, 'webConfigFile', undefined, this.where(path));
      } else {
        this.set('webConfigFile', path, this.value(path, checkAbsolutePath(raw.config_file)));
      }
    }
  }

  private delegates(raw: unknown): void {
    if (!Array.isArray(raw)) {
      this.problem(['delegates'], `expected a list of delegates (e.g. "- address: 198.51.100.10"), got ${describe(raw)}`);
      return;
    }
    const out: Delegate[] = [];
    const wheres: Where[] = [];
    const seen = new Map<number, number>();
    let failed = false;
    raw.forEach((item, i) => {
      const base = ['delegates', i];
      if (!isPlainObject(item)) {
        const hint = typeof item === 'string' ? ` (write "- address: ${item}")` : '';
        this.problem(base, `expected a mapping with an address, got ${describe(item)}${hint}`);
        failed = true;
        return;
      }
      const before = this.issues.list.length;
      this.unknownKeys(item, base, DELEGATE_KEYS, { mac: 'allowed_macs', macs: 'allowed_macs', ip: 'address' });
      let address: number | undefined;
      if (item.address === undefined || item.address === null) {
        this.problem(base, 'missing address (e.g. "address: 198.51.100.10")');
      } else {
        address = this.value([...base, 'address'], checkUnicastIpv4(item.address));
      }
      let iface: string | undefined;
      if (item.interface !== undefined && item.interface !== null) {
        iface = this.value([...base, 'interface'], checkInterfaceName(item.interface));
      }
      let allowedMacs: string[] | undefined = [];
      if (item.allowed_macs !== undefined && item.allowed_macs !== null) {
        allowedMacs = this.list([...base, 'allowed_macs'], item.allowed_macs, checkUnicastMac, (m) => m, '[02:00:00:00:00:01]');
      }
      if (this.issues.list.length !== before || address === undefined || allowedMacs === undefined) {
        failed = true;
        return;
      }
      const first = seen.get(address);
      if (first !== undefined) {
        this.problem([...base, 'address'], `${formatIpv4(address)} is already listed as delegates[${first}]`);
        failed = true;
        return;
      }
      seen.set(address, i);
      const d: Delegate = { address, allowedMacs };
      if (iface !== undefined) d.interface = iface;
      out.push(d);
      wheres.push(this.where(iface !== undefined ? [...base, 'interface'] : base));
    });
    if (failed) return;
    setValue(this.layer, 'delegates', out, this.where(['delegates']));
    this.layer.delegateWhere = wheres;
  }
}
