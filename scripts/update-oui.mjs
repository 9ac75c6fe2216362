#!/usr/bin/env node
// Regenerates data/oui.tsv, the IEEE MAC address registry dupip packages so that it names a MAC's
// vendor offline. Source: the CSV files of the IEEE Registration Authority (MA-L oui.csv, MA-M
// mam.csv, MA-S oui36.csv, IAB iab.csv), as Debian's `ieee-data` package ships them in
// /usr/share/ieee-data (the default) or as downloaded from https://standards-oui.ieee.org/.
//
//   apt-get install ieee-data          # or: apt-get install --only-upgrade ieee-data
//   node scripts/update-oui.mjs [DIR]  # then commit data/oui.tsv
//
// Output: "# " comment lines, then one line per assignment, "PREFIX<TAB>Organisation", sorted,
// PREFIX 6, 7 or 9 upper-case hex digits (src/core/oui-table.ts reads it).
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const dir = process.argv[2] ?? '/usr/share/ieee-data';
const out = new URL('../data/oui.tsv', import.meta.url);
const FILES = [
  ['oui.csv', 'MA-L', 6],
  ['mam.csv', 'MA-M', 7],
  ['oui36.csv', 'MA-S', 9],
  ['iab.csv', 'IAB', 9],
];

/** Splits one CSV line (RFC 4180 quoting). */
function fields(line) {
  const out = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (quoted) {
      if (c === '"' && line[i + 1] === '"') (cur += '"'), i++;
      else if (c === '"') quoted = false;
      else cur += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') out.push(cur), (cur = '');
    else cur += c;
  }
  out.push(cur);
  return out;
}

const rows = new Map();
const counts = [];
for (const [file, registry, length] of FILES) {
  const path = join(dir, file);
  if (!existsSync(path)) {
    if (file === 'oui.csv') throw new Error(`${path} not found: install Debian's ieee-data or pass the directory of the IEEE CSV files`);
    continue;
  }
  let n = 0;
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/).slice(1)) {
    if (!line.trim()) continue;
    const [reg, assignment, name] = fields(line);
    const prefix = (assignment ?? '').trim().toUpperCase();
    const org = (name ?? '').replace(/[\t\r\n]+/g, ' ').replace(/\s+/g, ' ').trim();
    if (reg !== registry || prefix.length !== length || !/^[0-9A-F]+$/.test(prefix) || !org) continue;
    rows.set(prefix, org);
    n++;
  }
  counts.push(`${registry} ${n}`);
}
const stamp = existsSync(join(dir, '.lastupdate')) ? readFileSync(join(dir, '.lastupdate'), 'utf8').trim() : '';
const lastUpdate = (/^\d+$/.test(stamp) ? new Date(Number(stamp) * 1000) : new Date()).toISOString().slice(0, 10);
const lines = [...rows].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([p, o]) => `${p}\t${o}`);
writeFileSync(
  out,
  [`# IEEE Registration Authority MAC assignments (${counts.join(', ')}), registry date ${lastUpdate}`, '# Regenerate: node scripts/update-oui.mjs [DIR] (see the script)', ...lines, ''].join('\n'),
);
console.log(`data/oui.tsv: ${lines.length} assignments (${counts.join(', ')}), registry date ${lastUpdate}`);
