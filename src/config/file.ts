/**
 * Reads the YAML configuration file (text already read) into a Layer, driven by the declarations in
 * schema.ts, reporting every problem with the file name, the field path (zero-based list indexes:
 * `delegates[1].address`) and, when known, its line.
 *
 * Pure: no I/O.
 */
import { describe } from './checks.js';
import type { Issues } from './errors.js';
import { FAIL, isMapping, sub, unknownKeys, type At, type Entry } from './codecs.js';
import { emptyLayer, setValue, type Layer } from './layer.js';
import { SETTINGS } from './schema.js';
import { readYaml } from './yaml.js';

/** Parses `text` (the contents of `file`) and checks it; problems go to `issues`. */
export function parseConfigText(text: string, file: string, issues: Issues): Layer {
  const layer = emptyLayer();
  const yaml = readYaml(text, file, issues, 'expected a mapping of settings at the top level (e.g. "probe_interval: 10s"), got');
  if (yaml) readEntries(yaml.data, yaml.at, SETTINGS, '', layer);
  return layer;
}

function readEntries(data: Record<string, unknown>, at: At, entries: Record<string, Entry>, prefix: string, layer: Layer): void {
  unknownKeys(data, at, Object.values(entries).map((e) => e.key), misplaced(entries));
  for (const [name, e] of Object.entries(entries)) {
    const raw = data[e.key];
    if (raw === null || raw === undefined) continue; // a key with no value is the same as leaving it out
    const here = sub(at, [e.key]);
    if ('settings' in e) {
      if (isMapping(raw)) readEntries(raw, here, e.settings, `${prefix}${name}.`, layer);
      else here.problem([], `${e.notMapping} ${describe(raw)}`);
      continue;
    }
    const value = e.codec.read(raw, here);
    if (value !== FAIL) setValue(layer, prefix + name, value, here.where([]), e.codec.itemWheres?.(value, here));
  }
}

/** Keys that belong elsewhere, with the field to suggest: a section's keys at the top, aliases. */
function misplaced(entries: Record<string, Entry>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const e of Object.values(entries)) {
    if ('settings' in e) {
      for (const s of Object.values(e.settings)) {
        for (const k of [s.key, ...(s.aliases ?? [])]) out[k] = `${e.key}.${s.key}`;
      }
    } else {
      for (const a of e.aliases ?? []) out[a] = e.key;
      for (const [k, field] of e.hoisted ?? []) out[k] = field;
    }
  }
  return out;
}
