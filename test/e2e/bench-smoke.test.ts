/**
 * Smoke test of the benchmark suite (issue 6): `bench/run.mjs --quick` runs every scenario in the
 * namespace lab and writes complete results. Checks that the output is complete and consistent —
 * every scenario ran, every figure is there, the frames were on the wire — never that a target is met
 * (benchmarks print figures; they do not pass or fail on them).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import type { BenchResults } from '../../bench/report.js';
import { REPO } from '../support/dupip.js';
import { prereqs, requireBuild, requireNetns, requireRoot, requireTool } from '../support/prereq.js';
import { runCollect } from '../support/run.js';

const need = prereqs(requireRoot(), requireNetns(), ...['tcpdump', 'arping', 'arpwatch', 'stdbuf'].map(requireTool), requireBuild());

function runBench(out: string) {
  // dist/ is built by the e2e global setup.
  return runCollect(process.execPath, [join(REPO, 'bench/run.mjs'), '--quick', '--no-build', '--out', out], { cwd: REPO });
}

const finite = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

describe.skipIf(need.skip)(need.title('bench --quick'), () => {
  it('runs every scenario and writes complete JSON results and a Markdown table', { timeout: 300_000 }, async () => {
    const out = mkdtempSync(join(tmpdir(), 'dupip-bench-smoke-'));
    onTestFinished(() => rmSync(out, { recursive: true, force: true }));
    const r = await runBench(out);
    expect(r.code, `bench failed:\n${r.stderr.slice(-4000)}`).toBe(0);

    const files = readdirSync(out);
    expect(files).toContain('latest-quick.json');
    expect(files).toContain('benchmarks-quick.md');
    expect(files.filter((f) => /^quick-.*\.json$/.test(f))).toHaveLength(1);
    const res = JSON.parse(readFileSync(join(out, 'latest-quick.json'), 'utf8')) as BenchResults;
    expect(res.mode).toBe('quick');
    expect(res.errors).toEqual({});
    expect(res.machine.cores).toBeGreaterThan(0);
    expect(res.machine.kernel).toMatch(/\d+\.\d+/);

    const { chatty, silent, nd6, idle, flood, scale, scan, containers, curves, soak } = res.scenarios;
    // IPv6: every unsolicited NA and every silent holder found
    expect(nd6?.chatty.missed).toBe(0);
    expect(nd6?.silent.missed).toBe(0);
    expect(nd6?.chatty.dupip?.n).toBe(nd6?.chatty.trials);
    // 6. a container host under churn: the uplink watched alone, every claim on it detected
    expect(containers?.runs.length).toBeGreaterThan(0);
    for (const run of containers!.runs) {
      expect(run.watchedInterfaces).toBe(1);
      expect(run.missed).toBe(0);
      expect(run.achievedRate).toBeGreaterThan(0);
      expect(finite(run.churn.schedCorePercent)).toBe(true);
    }
    // 1. every trial detected by dupip, the claims seen on the wire, arpwatch and the flips measured
    expect(chatty).toBeDefined();
    expect(chatty!.raw).toHaveLength(chatty!.trials);
    expect(chatty!.missed.wire).toBe(0);
    expect(chatty!.dupipLogged?.n).toBe(chatty!.trials);
    expect(chatty!.floor?.n).toBe(chatty!.trials); // the C reader beside dupip read every claim
    for (const d of [chatty!.dupipRead, chatty!.floor, chatty!.arpwatch, chatty!.metricFlip, chatty!.statusFlip]) {
      expect(d?.n).toBeGreaterThan(0);
      for (const k of ['min', 'p50', 'p99', 'max'] as const) expect(finite(d![k])).toBe(true);
    }
    // 2. both intervals, both tools
    expect(silent!.series.map((s) => s.intervalMs)).toEqual([1000, 10_000]);
    for (const s of silent!.series) {
      expect(s.dupip?.n).toBeGreaterThan(0);
      expect(s.arping?.n).toBeGreaterThan(0);
      expect(s.dupip!.n + s.missed.dupip).toBe(s.trials);
    }
    // 3. three sizes and the Node floor, each with CPU and RSS
    expect(idle!.rows.map((x) => x.addresses)).toEqual([1, 100, 762]);
    for (const u of [...idle!.rows.map((x) => x.usage), idle!.nodeBaseline, idle!.metricsBaseline]) {
      expect(finite(u.cpuSecondsPerHour) && finite(u.schedCpuSecondsPerHour)).toBe(true);
      expect(u.rssEndMb).toBeGreaterThan(0);
    }
    // 4. both floods sent and counted on the segment (how much arrives depends on the machine's
    // load, so only that it did), CPU of both tools measured
    expect(flood!.runs.map((x) => x.mode)).toEqual(['unwatched', 'spoof']);
    for (const f of flood!.runs) {
      expect(f.flooder?.sent).toBe(f.requestedRate * f.seconds);
      expect(f.bridgeIn.rxPackets).toBeGreaterThan(0);
      expect(f.hostIn.rxPackets).toBeGreaterThan(0);
      expect(finite(f.deliveredRate)).toBe(true);
      expect(finite(f.dupip.corePercent) && finite(f.arpwatch.corePercent)).toBe(true);
    }
    // the spoofed frames claim a watched address: they pass the kernel filter; unwatched ones do not
    const [unwatched, spoof] = flood!.runs;
    expect(spoof!.dupipFramesReceived).toBeGreaterThan(0);
    expect(unwatched!.dupipFramesReceived).toBeLessThan(unwatched!.flooder!.sent);
    // 5. 4,096 delegates contiguous and scattered in 198.18.0.0/15, 1,000 own addresses: the filter
    // strategy the daemon logged is the one its builder picks for that set; probes on the wire
    expect(scale!.runs.map((x) => [x.name, x.delegates, x.ownAddresses])).toEqual([['contiguous', 4096, 0], ['scattered', 4096, 0], ['own', 0, 1000]]);
    for (const s of scale!.runs) {
      expect(s.filter.map((f) => f.strategy)).toContain(s.filterPlan.strategy);
      expect(s.usage.rssEndMb).toBeGreaterThan(0);
      // scraped after the window: 4,096 delegates are ~60,000 series, ~4.5 MB of text
      expect(s.scrape!.cpuMs).toBeGreaterThan(0);
      expect(s.scrape!.rssAfterMb).toBeGreaterThan(0);
      if (s.delegates) expect(s.scrape!.bytes).toBeGreaterThan(3_000_000);
      if (s.delegates) {
        expect(s.wire.probes).toBeGreaterThan(0);
        expect(s.sendCapped).toBeNull(); // 409.6 probes/s under the cap of 500
      }
    }
    expect(scale!.runs.map((x) => x.filterPlan.strategy)).toEqual(['ranges', 'covering', 'exact']);
    const covering = scale!.runs[1]!.filterPlan;
    expect(covering.covered).toBeGreaterThanOrEqual(4096);
    expect(covering.covered).toBeLessThan(131_072);

    // the curves: four address counts and three flood rates, both processes measured
    expect(curves!.addresses.map((p) => p.addresses)).toEqual([1, 100, 1000, 4096]);
    expect(curves!.rates.map((p) => p.flood.requestedRate)).toEqual([1000, 10_000, 50_000]);
    for (const p of [...curves!.addresses, ...curves!.rates]) expect(finite(p.dupip.corePercent) && p.dupip.rssMaxMb > 0 && p.arpwatch.rssMaxMb > 0).toBe(true);
    for (const p of curves!.rates) expect(p.flood.sent).toBe(p.flood.requestedRate * curves!.floodS);
    // the soak (short in quick mode): RSS sampled over time, a slope
    expect(soak!.flood.sent).toBe(soak!.rate * soak!.seconds);
    expect(soak!.dupip.usage.rssSeriesMb.length).toBeGreaterThanOrEqual(soak!.seconds / soak!.sampleS);
    expect(finite(soak!.dupip.slopeMbPerMin)).toBe(true);
    const svg = readFileSync(join(out, 'benchmarks-quick.svg'), 'utf8');
    expect(svg).toMatch(/^<svg xmlns="http:\/\/www.w3.org\/2000\/svg"/);
    expect(svg.match(/<polyline /g)).toHaveLength(8);

    // 6. dupip scan and arp-scan on the same /24, timed, the same duplicates
    expect(scan!.runs.map((x) => x.tool)).toEqual(['dupip scan (50/s)', 'dupip scan (500/s)', 'arp-scan --localnet']);
    for (const x of scan!.runs) expect(x.seconds.every((v) => v > 0)).toBe(true);
    expect(scan!.agree).toBe(true);

    // every target has a verdict line; the table shows each of them and each scenario's section
    expect(res.verdicts.map((v) => v.id)).toEqual(['chatty', 'silent-1000', 'silent-10000', 'idle-100', 'flood-unwatched', 'flood-spoof', 'scale-contiguous', 'scale-scattered', 'scale-own', 'soak']);
    const md = readFileSync(join(out, 'benchmarks-quick.md'), 'utf8');
    expect(md).toContain(`${res.machine.cores} cores`);
    expect(md).toContain(res.machine.kernel);
    for (const h of ['## Issue 14: before and after', '## Against the targets', '## 1. Chatty intruder', '## 2. Silent intruder', '## IPv6 (Neighbor Discovery): chatty and silent', '## 3. Idle cost', '## 4. Floods', '## 5. Scale', '## Scaling curves', '## Spoofing soak', '## 6. Scan of a /24', '## 7. Container host']) expect(md).toContain(h);
    expect(md).toContain('](benchmarks-quick.svg)');
    for (const v of res.verdicts) expect(md).toContain(v.what);
  });
});
