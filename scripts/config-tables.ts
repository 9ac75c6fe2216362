/**
 * Rewrites the "Keys" and "Flags" tables of docs/config.md from the setting declarations
 * (src/config/schema.ts); the prose around them is left as it is. Run after adding a setting:
 *   npx vite-node scripts/config-tables.ts
 * test/unit/config-docs.test.ts fails while the document and the declarations differ.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { flagsTable, keysTable } from '../src/config/doc-tables.js';

const file = fileURLToPath(new URL('../docs/config.md', import.meta.url));
let text = readFileSync(file, 'utf8');
for (const [heading, table] of [['## Keys', keysTable()], ['## Flags', flagsTable()]] as const) {
  const re = new RegExp(`(\\n${heading}\\n[\\s\\S]*?\\n)(\\|[^\\n]*\\n)+`);
  if (!re.test(text)) throw new Error(`docs/config.md: no table after ${heading}`);
  text = text.replace(re, (_m, before: string) => `${before}${table}\n`);
}
writeFileSync(file, text);
