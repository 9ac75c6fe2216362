import { describe, expect, it } from 'vitest';
import { FLUX_ADVICE, MAX_FINDINGS, fluxFindings, sameNic } from '../../src/core/arp-flux.js';
import { renderStatus } from '../../src/cli/status-table.js';
import { buildStatus } from '../../src/control/report.js';
import { FakeView, OFFSET, entry, iface, sighting } from '../support/fake-view.js';

const A1 = '02:00:00:00:0a:01';
const A2 = '02:00:00:00:0b:07';
const B = '02:00:00:00:0c:01';

const split = (address: string, macs: string[]) =>
  entry({ address, role: 'delegate', held: false, state: 'split-brain', holders: macs, macs: macs.map((m) => sighting(m)) });

describe('ARP flux findings', () => {
  it('two MACs answering together for several addresses look like one host', () => {
    const f = fluxFindings([split('192.0.2.100', [A1, A2]), split('192.0.2.101', [A2, A1]), entry({ address: '192.0.2.10' })]);
    expect(f).toHaveLength(1);
    expect(f[0]).toMatchObject({ macs: [A1, A2], addresses: ['192.0.2.100', '192.0.2.101'], evidence: 'several-addresses' });
    expect(f[0]!.text).toBe(`MACs ${A1} and ${A2} answer together for 192.0.2.100, 192.0.2.101: may be one host with two interfaces on the segment (ARP flux): ${FLUX_ADVICE}`);
  });

  it('one address only: cannot be told apart, says what else it may be', () => {
    const f = fluxFindings([split('192.0.2.100', [A1, B]), split('192.0.2.101', [A2, B])]);
    expect(f.map((x) => x.evidence)).toEqual(['one-address', 'one-address']);
    expect(f[0]!.text).toContain('two holders (split brain), or one host with two interfaces on the segment (ARP flux');
    expect(f[0]!.text).toContain('arp_ignore=1');
  });

  it('consecutive ports of one NIC look like one host', () => {
    expect(sameNic('00:1b:21:aa:bb:10', '00:1b:21:aa:bb:11')).toBe(true);
    expect(sameNic(A1, A2)).toBe(false);
    const f = fluxFindings([split('192.0.2.100', ['00:1b:21:aa:bb:10', '00:1b:21:aa:bb:11'])]);
    expect(f[0]!.evidence).toBe('same-nic');
  });

  it('an address answered by one MAC, or a conflict with one intruder, gives nothing', () => {
    expect(fluxFindings([entry({ address: '192.0.2.100', role: 'delegate', held: false, holders: [A1] }), entry({ address: '192.0.2.10', state: 'conflict', macs: [sighting(B)] })])).toEqual([]);
  });

  it('a held address in conflict with two foreign MACs counts them too; findings are bounded', () => {
    const f = fluxFindings([entry({ address: '192.0.2.10', state: 'conflict', macs: [sighting(A1), sighting(A2)] }), split('192.0.2.100', [A1, A2])]);
    expect(f[0]!.evidence).toBe('several-addresses');
    const many = Array.from({ length: 8 }, (_, i) => `02:00:00:00:0d:${i.toString(16).padStart(2, '0')}`);
    expect(fluxFindings([split('192.0.2.100', many), split('192.0.2.101', many)])).toHaveLength(MAX_FINDINGS);
  });
});

describe('ARP flux in dupip status', () => {
  it('the report carries the notes and the table prints them; none when nothing answers twice', () => {
    const view = new FakeView([split('192.0.2.100', [A1, A2]), split('192.0.2.101', [A1, A2])], [iface({ name: 'eth0' })]);
    const report = buildStatus(view, [], { version: '0', pid: 1, now: OFFSET + 10_000, tzOffsetMinutes: 0, journal: null });
    expect(report.notes).toEqual([expect.stringContaining(`MACs ${A1} and ${A2} answer together for 192.0.2.100, 192.0.2.101: may be one host`)]);
    const table = renderStatus(report, OFFSET + 10_000, false);
    expect(table).toContain(`\nNotes:\n  MACs ${A1} and ${A2} answer together`);
    const quiet = buildStatus(new FakeView([entry({ address: '192.0.2.10' })], [iface({ name: 'eth0' })]), [], { version: '0', pid: 1, now: OFFSET, tzOffsetMinutes: 0, journal: null });
    expect(quiet.notes).toEqual([]);
    expect(renderStatus(quiet, OFFSET, false)).not.toContain('Notes:');
  });
});
