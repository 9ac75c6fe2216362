/**
 * A layer is the part of the configuration one source (the YAML file, the flags) sets, with where each
 * value came from. Layers are applied over the defaults in order: file, then flags.
 */
import type { Where } from './errors.js';
import type { DaemonConfig } from './schema.js';

/** Keys of DaemonConfig that a layer sets as they are (the nested `web` is set through two flat keys). */
type FlatKey = Exclude<keyof DaemonConfig, 'web'>;

export type LayerValues = Pick<DaemonConfig, FlatKey> & {
  webListenAddresses: string[];
  /** undefined: explicitly none (`config_file: ""`, `--web.config.file=`). */
  webConfigFile: string | undefined;
  webMaxConnections: number;
};

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
  for (const key of Object.keys(v) as LayerKey[]) {
    if (key === 'webListenAddresses') {
      if (v.webListenAddresses !== undefined) config.web.listenAddresses = v.webListenAddresses;
    } else if (key === 'webMaxConnections') {
      if (v.webMaxConnections !== undefined) config.web.maxConnections = v.webMaxConnections;
    } else if (key === 'webConfigFile') {
      if (v.webConfigFile === undefined) delete config.web.configFile;
      else config.web.configFile = v.webConfigFile;
    } else if (v[key] !== undefined) {
      (config as Record<FlatKey, unknown>)[key] = v[key];
    }
  }
}
