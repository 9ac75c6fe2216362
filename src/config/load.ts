/**
 * loadConfig: defaults ← YAML file (--config PATH) ← flags, then checks across fields. Pure apart from
 * the injected readFile, so the daemon can call it again with the same argv on SIGHUP.
 */
import { readFileSync } from 'node:fs';
import { errorReason } from '../platform/errno.js';
import { ConfigError, Issues, type Where } from './errors.js';
import { parseConfigText } from './file.js';
import { parseDaemonFlags } from './flags.js';
import { applyLayer, emptyLayer, type Layer } from './layer.js';
import { defaultConfig, type DaemonConfig } from './schema.js';

export type ReadFile = (path: string) => string;

export interface LoadOptions {
  /** The daemon's arguments (after `dupip daemon`). */
  argv: readonly string[];
  /** Reads the configuration file as UTF-8 text; throws on failure. Default: fs.readFileSync. */
  readFile?: ReadFile;
}

export interface LoadResult {
  config: DaemonConfig;
  /** --check-config: validate, report, exit. */
  checkOnly: boolean;
  /** The --config path as given, or null when there is no file. */
  configPath: string | null;
}

export const defaultReadFile: ReadFile = (path) => readFileSync(path, 'utf8');

/**
 * Builds the daemon configuration. Throws ConfigError (exitCode 78) listing every problem, each naming
 * the file and field or the flag.
 */
export function loadConfig(options: LoadOptions): LoadResult {
  const readFile = options.readFile ?? defaultReadFile;
  const issues = new Issues();
  const flags = parseDaemonFlags(options.argv, issues);

  let fileLayer: Layer = emptyLayer();
  const configPath = flags.configPath ?? null;
  if (configPath !== null) {
    let text: string | undefined;
    try {
      text = readFile(configPath);
    } catch (err) {
      issues.add({ kind: 'file', file: configPath, field: '' }, `cannot read the configuration file: ${errorReason(err)}`);
    }
    if (text !== undefined) fileLayer = parseConfigText(text, configPath, issues);
  }

  const config = defaultConfig();
  applyLayer(config, fileLayer);
  applyLayer(config, flags.layer);
  // Checks across fields only when every field is valid: a rejected list would otherwise look empty.
  if (issues.empty) crossCheck(config, fileLayer, flags.layer, issues);

  if (!issues.empty) throw new ConfigError(issues.list);
  return { config, checkOnly: flags.checkOnly, configPath };
}

function crossCheck(config: DaemonConfig, file: Layer, flags: Layer, issues: Issues): void {
  const whereOf = (id: string): Where | undefined => flags.where.get(id) ?? file.where.get(id);

  // A delegate's interface must be one the daemon works on.
  if (config.interfaces.length > 0) {
    const delegateWheres = (flags.values.has('delegates') ? flags.items.get('delegates') : file.items.get('delegates')) ?? [];
    const interfacesWhere = whereOf('interfaces');
    const from = interfacesWhere?.kind === 'flag' ? ' (set by --interface)' : '';
    config.delegates.forEach((d, i) => {
      if (d.interface === undefined || config.interfaces.includes(d.interface)) return;
      const where = delegateWheres[i] ?? whereOf('delegates') ?? { kind: 'args' };
      issues.add(
        where,
        `interface ${JSON.stringify(d.interface)} is not one of the configured interfaces [${config.interfaces.join(', ')}]${from}; add it there`,
      );
    });
  }

  if (!config.ownAddresses && config.delegates.length === 0) {
    issues.add(
      whereOf('ownAddresses') ?? { kind: 'args' },
      'nothing to monitor: own addresses are turned off and no delegates are configured',
    );
  }
}
