/** `dupip probe` refuses numeric flags that are not plain decimal integers, with exit 2 and the reason. */
import { describe, expect, it } from 'vitest';
import { EXIT_CANNOT_PROBE, probeCommand } from '../../src/cli/probe.js';
import type { Io } from '../../src/cli/io.js';

async function probe(args: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
  const code = await probeCommand(['192.0.2.10', ...args], io);
  return { code, out: out.join(''), err: err.join('') };
}

describe('dupip probe numeric flags', () => {
  it.each(['1e2', '0x10', '5.0', '2.5', ' 5', '5 ', '+3', '-1', '0', '1001', '', 'three', '1_000', 'Infinity', '00003e0'])('--count %j is refused (exit 2)', async (v) => {
    const r = await probe([`--count=${v}`]);
    expect(r.code).toBe(EXIT_CANNOT_PROBE);
    expect(r.err).toBe(`dupip probe: --count: "${v}" is not a whole number from 1 to 1000\n`);
  });

  it.each(['1e2s', '1s ', '-1s', '5', '0x10ms', '1.5e3ms'])('--timeout %j is refused (exit 2)', async (v) => {
    const r = await probe([`--timeout=${v}`]);
    expect(r.code).toBe(EXIT_CANNOT_PROBE);
    expect(r.err).toMatch(/^dupip probe: --timeout: /);
  });

  it('-c with a plain integer passes the argument checks (then needs an interface)', async () => {
    const r = await probe(['-c', '7', '--interface', 'dupip-no-such-if0']);
    expect(r.code).toBe(EXIT_CANNOT_PROBE);
    expect(r.err).toContain('interface dupip-no-such-if0 does not exist');
  });
});
