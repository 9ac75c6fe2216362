/**
 * A layer is the part of the configuration one source (the YAML file, the flags) sets, with where each
 * value came from. Layers are applied over the defaults in order: file, then flags.
 */
import type { Where } from './errors.js';
import type { Cidr, DaemonConfig, Delegate, DefendMode, LogLevel } from './schema.js';

export interface LayerValues {
  interfaces: string[];
  ownAddresses: boolean;
  excludeAddresses: Cidr[];
  delegates: Delegate[];
  ignoreMacs: string[];
  probeIntervalMs: number;
  announceIntervalMs: number;
  defend: DefendMode;
  clearAfter: number;
  maxSendRate: number;
  stateDir: string;
  controlSocket: string;
  webListenAddresses: string[];
  /** undefined: explicitly none (`config_file: ""`, `--web.config.file=`). */
  webConfigFile: string | undefined;
  logLevel: LogLevel;
}

export type LayerKey = keyof LayerValues;

export interface Layer {
  values: Partial<LayerValues>;
  where: Partial<Record<LayerKey, Where>>;
  /** Parallel to values.delegates: where each delegate (its interface) was given. */
  delegateWhere: Where[];
}

export function emptyLayer(): Layer {
  return { values: {}, where: {}, delegateWhere: [] };
}

export function setValue<K extends LayerKey>(layer: Layer, key: K, value: LayerValues[K], where: Where): void {
  layer.values[key] = value;
  layer.where[key] = where;
}

/** Applies `layer` over `config` in place (whole lists are replaced, never merged). */
export function applyLayer(config: DaemonConfig, layer: Layer): void {
  const v = layer.values;
  if (v.interfaces !== undefined) config.interfaces = v.interfaces;
  if (v.ownAddresses !== undefined) config.ownAddresses = v.ownAddresses;
  if (v.excludeAddresses !== undefined) config.excludeAddresses = v.excludeAddresses;
  if (v.delegates !== undefined) config.delegates = v.delegates;
  if (v.ignoreMacs !== undefined) config.ignoreMacs = v.ignoreMacs;
  if (v.probeIntervalMs !== undefined) config.probeIntervalMs = v.probeIntervalMs;
  if (v.announceIntervalMs !== undefined) config.announceIntervalMs = v.announceIntervalMs;
  if (v.defend !== undefined) config.defend = v.defend;
  if (v.clearAfter !== undefined) config.clearAfter = v.clearAfter;
  if (v.maxSendRate !== undefined) config.maxSendRate = v.maxSendRate;
  if (v.stateDir !== undefined) config.stateDir = v.stateDir;
  if (v.controlSocket !== undefined) config.controlSocket = v.controlSocket;
  if (v.webListenAddresses !== undefined) config.web.listenAddresses = v.webListenAddresses;
  if ('webConfigFile' in v) {
    if (v.webConfigFile === undefined) delete config.web.configFile;
    else config.web.configFile = v.webConfigFile;
  }
  if (v.logLevel !== undefined) config.logLevel = v.logLevel;
}
