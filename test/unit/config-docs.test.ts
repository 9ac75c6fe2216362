// docs/config.md's "Keys" and "Flags" tables are exactly what the setting declarations
// (src/config/schema.ts) make; a setting added there shows up here until the document has it.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { flagsTable, keysTable } from '../../src/config/doc-tables.js';

const docs = readFileSync(fileURLToPath(new URL('../../docs/config.md', import.meta.url)), 'utf8');

/** The first table after the heading. */
function tableAfter(heading: string): string {
  const from = docs.indexOf(`\n${heading}\n`);
  expect(from, heading).toBeGreaterThan(0);
  const lines = docs.slice(from).split('\n');
  const start = lines.findIndex((l) => l.startsWith('|'));
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('|'));
  return lines.slice(start, end).join('\n');
}

describe('docs/config.md tables', () => {
  it('"## Keys" is the table the declarations make', () => {
    expect(tableAfter('## Keys'), `paste into docs/config.md under "## Keys":\n${keysTable()}\n`).toBe(keysTable());
  });

  it('"## Flags" is the table the declarations make', () => {
    expect(tableAfter('## Flags'), `paste into docs/config.md under "## Flags":\n${flagsTable()}\n`).toBe(flagsTable());
  });

  it('every setting appears in both', () => {
    expect(keysTable()).toContain('[`web.listen_addresses`](#weblisten_addresses)');
    expect(flagsTable()).toContain('| `--no-own-addresses` | `own_addresses: false` |');
  });
});
