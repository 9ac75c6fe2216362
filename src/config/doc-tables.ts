/**
 * The two tables of docs/config.md ("Keys" and "Flags"), made from the declarations in schema.ts.
 * test/unit/config-docs.test.ts checks that the document holds exactly these; on a difference it prints
 * them to paste. Pure.
 */
import type { Entry, Setting } from './codecs.js';
import { DAEMON_FLAGS } from './flags.js';
import { SETTINGS } from './schema.js';

const code = (s: string): string => `\`${s.replace(/\|/g, '\\|')}\``;

function flat(entries: Record<string, Entry>, prefix = ''): [string, Setting][] {
  return Object.values(entries).flatMap((e): [string, Setting][] => ('settings' in e ? flat(e.settings, `${e.key}.`) : [[prefix + e.key, e]]));
}

function shownDefault(s: Setting): string {
  const literal = Array.isArray(s.default) ? JSON.stringify(s.default) : String(s.default);
  if (s.defaultNote === undefined) return code(literal);
  return Array.isArray(s.default) ? `${code(literal)} = ${s.defaultNote}` : s.defaultNote;
}

const flagText = (s: Setting): string =>
  s.flag ? `${code(`--${s.flag.name}${s.flag.arg ? ` ${s.flag.arg}` : ''}`)}${s.codec.repeatable ? ' (repeatable)' : ''}` : '—';

export function keysTable(): string {
  const rows = flat(SETTINGS).map(([key, s]) => {
    const anchor = key.replace(/\./g, '');
    return `| [${code(key)}](#${anchor}) | ${s.type ?? s.codec.type ?? ''} | ${shownDefault(s)} | ${flagText(s)} |`;
  });
  return ['| Key | Type | Default | Flag |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

export function flagsTable(): string {
  const rows = DAEMON_FLAGS.map((f) => {
    const flag = code(`--${f.name}${f.arg ? ` ${f.arg}` : ''}`);
    const s = f.setting;
    if (!s || f.key === undefined) return `| ${flag} | ${f.help} |`;
    const sets = f.arg === undefined ? code(`${f.key}: ${String(s.flag?.sets)}`) : code(f.key);
    return `| ${flag} | ${sets}${f.repeatable ? ' (repeatable)' : ''} |`;
  });
  return ['| Flag | Sets |', '| --- | --- |', ...rows].join('\n');
}
