// The setting declarations (src/config/schema.ts) hold together: each default, written in the file
// or given to its flag, reads back as the default, and every key and flag is unique. A new entry with
// a default its own reader rejects, or a clashing key or flag, fails here.
import { describe, expect, it } from 'vitest';
import { DAEMON_FLAGS, defaultConfig, loadConfig, SETTINGS } from '../../src/config/index.js';
import { TOP_LEVEL_KEYS, WEB_KEYS, type Entry } from '../../src/config/schema.js';

function fileOfDefaults(entries: Record<string, Entry>): Record<string, unknown> {
  return Object.fromEntries(Object.values(entries).map((e) => [e.key, 'settings' in e ? fileOfDefaults(e.settings) : e.default]));
}

describe('the setting declarations', () => {
  it('the defaults, written out as a file (JSON is YAML), read back as the defaults', () => {
    const text = JSON.stringify(fileOfDefaults(SETTINGS));
    expect(loadConfig({ argv: ['--config', 'defaults.yml'], readFile: () => text }).config).toEqual(defaultConfig());
  });

  it('each flag given its default reads back as the default', () => {
    for (const f of DAEMON_FLAGS) {
      const d = f.setting?.default;
      if (f.arg === undefined || d === undefined || d === '' || (Array.isArray(d) && d.length === 0)) continue;
      const argv = (Array.isArray(d) ? d : [d]).map((v) => `--${f.name}=${String(v)}`);
      expect(loadConfig({ argv }).config, argv.join(' ')).toEqual(defaultConfig());
    }
  });

  it('keys and flags are unique', () => {
    for (const keys of [TOP_LEVEL_KEYS, WEB_KEYS]) expect(new Set(keys).size).toBe(keys.length);
    const flags = DAEMON_FLAGS.map((f) => f.name);
    expect(new Set(flags).size).toBe(flags.length);
  });
});
