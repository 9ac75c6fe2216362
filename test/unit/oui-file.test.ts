import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseOuiTable } from '../../src/core/oui-table.js';
import { OUI_FILE, openOuiRegistry } from '../../src/platform/oui-file.js';

const dir = mkdtempSync(join(tmpdir(), 'dupip-oui-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
function file(text: string | Buffer): string {
  const p = join(dir, `oui-${n++}.tsv`);
  writeFileSync(p, text);
  return p;
}

const macOf = (hex12: string) => hex12.toLowerCase().match(/../g)!.join(':');

/**
 * MACs that exercise every line of `text`: each prefix itself (padded low), and for every `every`-th
 * line the prefix padded high and its neighbours (known or not).
 */
function probesFor(text: string, every = 1): string[] {
  const macs = new Set<string>();
  let k = 0;
  for (const line of text.split('\n')) {
    const p = /^([0-9A-F]{6,9})\t/.exec(line)?.[1];
    if (!p) continue;
    macs.add(macOf(p.padEnd(12, '0')));
    if (k++ % every !== 0) continue;
    macs.add(macOf(p.padEnd(12, 'F')));
    const v = parseInt(p, 16);
    for (const d of [-1, 1]) {
      const q = (v + d).toString(16).toUpperCase().padStart(p.length, '0');
      if (q.length === p.length && v + d >= 0) macs.add(macOf(q.padEnd(12, '7')));
    }
  }
  return [...macs];
}

describe('the vendor lookup in the file (data/oui.tsv)', () => {
  const text = readFileSync(OUI_FILE, 'latin1'); // prefixes are ASCII; only they are used here
  const table = parseOuiTable(readFileSync(OUI_FILE));
  const registry = openOuiRegistry(OUI_FILE);
  afterAll(() => registry.close());

  it('bisects the shipped file itself (it is sorted) and counts its assignments', () => {
    expect(registry.mode).toBe('file');
    expect(registry.size).toBe(table.size);
    expect(registry.invalid).toBe(0);
  });

  it('gives the in-memory table’s answer for every prefix of the shipped file, and for a sample of their neighbours (unknown ones among them)', () => {
    const macs = probesFor(text, 7);
    expect(macs.length).toBeGreaterThan(60_000);
    let differ = 0;
    let named = 0;
    for (const m of macs) {
      const want = table.lookup(m);
      if (want !== undefined) named++;
      if (registry.lookup(m) !== want) differ++;
    }
    expect(differ).toBe(0);
    expect(named).toBeGreaterThan(40_000);
  });

  it('names the first and the last line, MA-M and MA-S blocks, and nothing for unknown prefixes', () => {
    const lines = text.split('\n').filter((l) => /^[0-9A-F]+\t/.test(l));
    const first = lines[0]!.split('\t');
    const last = lines.at(-1)!.split('\t');
    expect(registry.lookup(macOf(first[0]!.padEnd(12, '0')))).toBe(table.lookup(macOf(first[0]!.padEnd(12, '0'))));
    expect(registry.lookup(macOf(last[0]!.padEnd(12, 'F')))).toBe(table.lookup(macOf(last[0]!.padEnd(12, 'F'))));
    expect(registry.lookup(macOf(first[0]!.padEnd(12, '0')))).toBeDefined();
    expect(registry.lookup(macOf(last[0]!.padEnd(12, 'F')))).toBeDefined();
    const mam = lines.find((l) => /^[0-9A-F]{7}\t/.test(l))!.split('\t')[0]!;
    const mas = lines.find((l) => /^[0-9A-F]{9}\t/.test(l))!.split('\t')[0]!;
    expect(registry.lookup(macOf(mam.padEnd(12, '3')))).toBe(table.lookup(macOf(mam.padEnd(12, '3'))));
    expect(registry.lookup(macOf(mas.padEnd(12, '3')))).toBe(table.lookup(macOf(mas.padEnd(12, '3'))));
    expect(registry.lookup('00:50:56:aa:bb:cc')).toBe('VMware, Inc.');
    expect(registry.lookup('70:b3:d5:00:00:01')).toBe('IEEE Registration Authority');
    expect(registry.lookup('ff:ff:ff:ff:ff:fe')).toBeUndefined();
    expect(registry.lookup('00:00:00:00:00:00')).toBe(table.lookup('00:00:00:00:00:00'));
  });

  it('answers from its cache the same as from the file', () => {
    for (const m of ['00:50:56:aa:bb:cc', '00:50:56:aa:bb:cc', '00:1b:22:00:00:00', '00:1b:22:00:00:00']) expect(registry.lookup(m)).toBe(table.lookup(m));
  });
});

describe('other files', () => {
  const SMALL = `# comment\n00005E\tICANN, IANA Department\n001B21\tIntel Corporate\n005056\tVMware, Inc.\n70B3D5\tIEEE Registration Authority\n70B3D5F2F\tTELEPLATFORMS\n741AE09\tPrivate\n`;
  const checks = ['00:1b:21:01:02:03', '70:b3:d5:f2:f0:01', '70:b3:d5:00:00:01', '74:1a:e0:91:00:00', '74:1a:e0:81:00:00', '00:1b:22:00:00:00', '00:00:5e:00:00:01', '00:50:56:00:00:00', 'ff:00:00:00:00:00'];

  it('bisects a small sorted file, with CRLF, a name past the window and no final newline', () => {
    const long = `${'Long Name '.repeat(400)}End`;
    const variants = [SMALL, SMALL.replace(/\n/g, '\r\n'), SMALL.trimEnd(), `${SMALL}741AE0A\t${long}\n`];
    for (const v of variants) {
      const r = openOuiRegistry(file(v));
      const t = parseOuiTable(v);
      expect(r.mode).toBe('file');
      expect(r.size).toBe(t.size);
      for (const m of [...checks, '74:1a:e0:a1:00:00']) expect(r.lookup(m)).toBe(t.lookup(m));
      r.close();
    }
    const r = openOuiRegistry(file(`${SMALL}741AE0A\t${long}\n`));
    expect(r.lookup('74:1a:e0:a0:00:00')).toBe(long);
  });

  it('a read that fails (here: the descriptor closed under it) names no vendor instead of throwing (no log line is lost to it), and is not cached', () => {
    const r = openOuiRegistry(file(SMALL));
    expect(r.lookup('00:50:56:00:00:00')).toBe('VMware, Inc.');
    r.close();
    expect(() => r.lookup('00:1b:21:01:02:03')).not.toThrow();
    expect(r.lookup('00:1b:21:01:02:03')).toBeUndefined();
    expect(r.lookup('00:50:56:00:00:00')).toBe('VMware, Inc.'); // answered before: from the cache
  });

  it('bisects a large generated file as the table would (windows, line starts after the midpoint, MA-M and MA-S blocks with and without their MA-L line)', () => {
    const lines: string[] = ['# generated'];
    for (let i = 0; i < 20_000; i += 3) {
      const p = (0x100000 + i * 7).toString(16).toUpperCase();
      if (i % 5 !== 1) lines.push(`${p}\tVendor ${i} ${'x'.repeat(i % 50)}`); // some MA-M/MA-S blocks without their MA-L line
      if (i % 2 === 0) lines.push(`${p}3\tMA-M ${i}`, `${p}3A1\tMA-S ${i}`); // sorted after their MA-L line
      if (i % 9 === 0) lines.push(`${p}E2B\tMA-S alone ${i}`);
    }
    const v = `${lines.join('\n')}\n`;
    const r = openOuiRegistry(file(v));
    const t = parseOuiTable(v);
    expect(r.mode).toBe('file');
    const probes = probesFor(v, 3);
    for (const m of probes) expect(r.lookup(m)).toBe(t.lookup(m));
    expect(probes.map((m) => r.lookup(m)).filter((n) => n?.startsWith('MA-S')).length).toBeGreaterThan(1000);
  });

  it('reads an unsorted file, or one with invalid, commented, repeated or huge lines, into a table with the same answers', () => {
    const unsorted = `005056\tVMware, Inc.\n00005E\tICANN, IANA Department\n001B21\tIntel Corporate\n`;
    const corrupt = `${SMALL}not-a-line\n\u0000\u0001garbage\n`;
    const commented = SMALL.replace('005056', '# middle\n005056');
    const twice = `${SMALL}741AE09\tPrivate again\n`;
    const huge = `${SMALL}741AE0A\t${'y'.repeat(70_000)}\n`; // a line longer than the check's buffer
    for (const v of [unsorted, corrupt, commented, twice, huge]) {
      const r = openOuiRegistry(file(v));
      const t = parseOuiTable(v);
      expect(r.mode).toBe('memory');
      expect([r.size, r.invalid]).toEqual([t.size, t.invalid]);
      for (const m of checks) expect(r.lookup(m)).toBe(t.lookup(m));
    }
    expect(openOuiRegistry(file(corrupt)).invalid).toBe(2);
  });

  it('an empty file names nothing; a missing file or a directory throws (the caller reports it)', () => {
    expect(openOuiRegistry(file('')).lookup('00:50:56:00:00:00')).toBeUndefined();
    expect(() => openOuiRegistry(join(dir, 'missing.tsv'))).toThrow(/ENOENT/);
    expect(() => openOuiRegistry(dir)).toThrow(/EISDIR/);
  });
});
