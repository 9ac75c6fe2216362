/**
 * A layer is the part of the configuration one source (the YAML file, the flags) sets, with where each
 * value came from. Layers are applied over the defaults in order: file, then flags.
 */
import type { Where } from './errors.js';
import type { DaemonConfig } from './schema.js';

/** A setting's field in DaemonConfig, dotted for a section: "probeIntervalMs", "web.configFile". */
export type FieldId = string;

export interface Layer {
  /** undefined: explicitly none (`config_file: ""`, `--web.config.file=`). */
  values: Map<FieldId, unknown>;
  where: Map<FieldId, Where>;
  /** For lists: where each item was given (a delegate's interface, for checks across fields). */
  items: Map<FieldId, Where[]>;
}

export function emptyLayer(): Layer {
  return { values: new Map(), where: new Map(), items: new Map() };
}

export function setValue(layer: Layer, id: FieldId, value: unknown, where: Where, items?: Where[]): void {
  layer.values.set(id, value);
  layer.where.set(id, where);
  if (items) layer.items.set(id, items);
}

/** Applies `layer` over `config` in place (whole lists are replaced, never merged). */
export function applyLayer(config: DaemonConfig, layer: Layer): void {
  for (const [id, value] of layer.values) {
    const path = id.split('.');
    let target = config as unknown as Record<string, unknown>;
    for (const p of path.slice(0, -1)) target = target[p] as Record<string, unknown>;
    const last = path[path.length - 1]!;
    if (value === undefined) delete target[last];
    else target[last] = value;
  }
}
