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

describe('dupip probe addresses', () => {
  async function run(argv: string[]) {
    const err: string[] = [];
    const out: string[] = [];
    const io: Io = { out: (t) => void out.push(t), err: (t) => void err.push(t), isTty: false };
    return { code: await probeCommand(argv, io), err: err.join(''), out: out.join('') };
  }

  it.each(['192.0.2', 'example', '2001:db8::g', '2001:db8:::1', '1:2:3:4:5:6:7:8:9', '0.0.0.0'])('%j is refused (exit 2)', async (a) => {
    const r = await run([a]);
    expect(r.code).toBe(EXIT_CANNOT_PROBE);
    expect(r.err).toBe(`dupip probe: "${a}" is not an IPv4 or IPv6 address\n`);
  });

  it.each(['::', 'ff02::1', 'ff02::1:ff00:10'])('%j is not a unicast IPv6 address (exit 2)', async (a) => {
    const r = await run([a]);
    expect(r.code).toBe(EXIT_CANNOT_PROBE);
    expect(r.err).toBe(`dupip probe: "${a}" is not a unicast IPv6 address\n`);
  });

  it('an IPv6 address on an unknown interface: exit 2, --json in the IPv4 shape with the RFC 5952 form', async () => {
    const r = await run(['2001:DB8:0::0010', '--interface', 'dupip-no-such-if0', '--json']);
    expect(r.code).toBe(EXIT_CANNOT_PROBE);
    expect(r.err).toContain('interface dupip-no-such-if0 does not exist');
    expect(JSON.parse(r.out)).toEqual({
      address: '2001:db8::10', interface: 'dupip-no-such-if0', duplicate: null, error: 'interface dupip-no-such-if0 does not exist', macs: [], sent: 0, received: 0,
    });
  });
});
