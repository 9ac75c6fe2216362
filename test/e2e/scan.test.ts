/**
 * `dupip scan` on a real /24 in the lab: two duplicated addresses (one held by two hosts, one by
 * three) among clean ones, with `arp-scan --localnet` (Debian's arp-scan) run on the same lab as
 * the reference; a clean segment; an unknown interface. The times for the /24 are printed side
 * by side (bench/scenarios/scan.ts measures them as a benchmark).
 */
import { describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { dupip } from '../support/dupip.js';
import { labPrereqs } from '../support/prereq.js';

const need = labPrereqs('arp-scan', 'tcpdump');

interface ScanJson {
  duplicate: boolean | null;
  error?: string;
  interfaces: Array<{ interface: string; sender: string; addresses: number; sent: number; answered: number; seconds: number; duplicates: Array<{ address: string; macs: Array<{ mac: string; description: string }> }> }>;
}

/** arp-scan's answers: address → MACs (it prints one line per answer, "(DUP: n)" on repeats). */
export function parseArpScan(stdout: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const line of stdout.split('\n')) {
    const m = /^(\d+\.\d+\.\d+\.\d+)\s+([0-9a-f:]{17})\s/i.exec(line);
    if (!m) continue;
    const macs = out.get(m[1]!) ?? [];
    if (!macs.includes(m[2]!.toLowerCase())) macs.push(m[2]!.toLowerCase());
    out.set(m[1]!, macs);
  }
  return out;
}

describe.skipIf(need.skip)(need.title('dupip scan in the lab, with arp-scan as the reference'), () => {
  it('a /24 with one address held by two hosts and one by three: exactly those listed with every MAC, exit 1; arp-scan agrees', async () => {
    await using lab = await Lab.create({ hosts: 7 });
    const h = Array.from({ length: 7 }, (_, i) => lab.host(i));
    await h[0]!.addAddress('192.0.2.1/24');
    // a clean rest: every host has an address of its own
    for (let i = 1; i < 7; i++) await h[i]!.addAddress(`192.0.2.${100 + i}/24`);
    for (const i of [1, 2]) await h[i]!.addAddress('192.0.2.20/24');
    for (const i of [3, 4, 5]) await h[i]!.addAddress('192.0.2.30/24');
    const cap = await lab.bridge.capture({ filter: 'arp' });

    const t0 = performance.now();
    const r = await dupip(h[0]!, ['scan', '192.0.2.0/24', '--json'], 60_000);
    const dupipMs = performance.now() - t0;
    expect(r.code, r.stderr).toBe(1);
    const json = JSON.parse(r.stdout) as ScanJson;
    expect(json.duplicate).toBe(true);
    const [eth0] = json.interfaces;
    expect(eth0).toMatchObject({ interface: 'eth0', sender: '192.0.2.1', addresses: 254, sent: 254, answered: 8 });
    expect(eth0!.duplicates.map((d) => [d.address, d.macs.map((m) => m.mac).sort()])).toEqual([
      ['192.0.2.20', [h[1]!.mac, h[2]!.mac].sort()],
      ['192.0.2.30', [h[3]!.mac, h[4]!.mac, h[5]!.mac].sort()],
    ]);
    expect(eth0!.duplicates[0]!.macs[0]!.description).toBe('locally administered'); // the lab's MACs are 02:…
    // never a probe (sender 0.0.0.0) and never a frame from another address than the host's own
    const frames = await cap.stop();
    const requests = frames.filter((f) => f.src === h[0]!.mac && f.arp);
    expect(requests.length).toBeGreaterThanOrEqual(254);
    expect(requests.every((f) => f.arp!.senderIp === '192.0.2.1')).toBe(true);

    // the human output
    const text = await dupip(h[0]!, ['scan', '192.0.2.0/24', '--rate', '1000', '--wait', '500ms'], 60_000);
    expect(text.code).toBe(1);
    expect(text.stdout).toMatch(/192\.0\.2\.20: DUPLICATE — answered by 2 MAC\(s\)/);
    expect(text.stdout).toMatch(/192\.0\.2\.30: DUPLICATE — answered by 3 MAC\(s\)/);
    expect(text.stdout).not.toMatch(/192\.0\.2\.10[1-6]: DUPLICATE/);

    const t1 = performance.now();
    const a = await h[0]!.exec('arp-scan', ['--localnet', '--interface', 'eth0', '--retry', '2'], { timeoutMs: 60_000 });
    const arpScanMs = performance.now() - t1;
    expect(a.code, a.stderr).toBe(0);
    const seen = parseArpScan(a.stdout);
    const dups = [...seen].filter(([, macs]) => macs.length > 1).map(([ip, macs]) => [ip, macs.sort()]);
    expect(dups.sort()).toEqual(eth0!.duplicates.map((d) => [d.address, d.macs.map((m) => m.mac).sort()]));
    console.log(
      `scan of a /24 (254 addresses, 2 duplicated): dupip scan ${(dupipMs / 1000).toFixed(2)}s at its default 50 requests/s (the send cap), ` +
        `its own figure ${eth0!.seconds}s; arp-scan --localnet ${(arpScanMs / 1000).toFixed(2)}s at its default bandwidth; same duplicates`,
    );
  });

  it('a clean segment: exit 0, nothing listed', async () => {
    await using lab = await Lab.create({ hosts: 3 });
    for (let i = 0; i < 3; i++) await lab.host(i).addAddress(`192.0.2.${i + 1}/24`);
    const r = await dupip(lab.host(0), ['scan', '--rate', '1000', '--wait', '500ms', '--json'], 60_000);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as ScanJson;
    expect(json.duplicate).toBe(false);
    expect(json.interfaces).toHaveLength(1); // the default: the subnet of eth0
    expect(json.interfaces[0]).toMatchObject({ interface: 'eth0', addresses: 254, answered: 2, duplicates: [] });
    const text = await dupip(lab.host(0), ['scan', '192.0.2.0/28', '-r', '1000', '-w', '300ms'], 60_000);
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('eth0: asked 14 address(es) in 192.0.2.0/28 from 192.0.2.1');
  });

  it('cannot scan: exit 2 for an unknown interface, a prefix with no address of the host, a bad prefix', async () => {
    await using lab = await Lab.create({ hosts: 2 });
    await lab.host(0).addAddress('192.0.2.1/24');
    const unknown = await dupip(lab.host(0), ['scan', '192.0.2.0/24', '--interface', 'nosuch0', '--json']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('interface nosuch0 does not exist');
    expect(JSON.parse(unknown.stdout)).toMatchObject({ duplicate: null, error: 'interface nosuch0 does not exist' });
    const foreign = await dupip(lab.host(0), ['scan', '198.51.100.0/24']);
    expect(foreign.code).toBe(2);
    expect(foreign.stderr).toContain('never use sender 0.0.0.0');
    const bad = await dupip(lab.host(0), ['scan', '192.0.2.0/33']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('is not an IPv4 prefix');
  });
});
