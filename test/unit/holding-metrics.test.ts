import { describe, expect, it } from 'vitest';
import { MAX_MACS_PER_ADDRESS } from '../../src/core/sightings.js';
import { DupipMetrics } from '../../src/metrics/metrics.js';
import { delegateHolderMacs } from '../../src/metrics/holding.js';
import { FakeView, MAC0, entry, iface, sighting } from '../support/fake-view.js';

const macN = (i: number) => `02:00:00:00:0a:${i.toString(16).padStart(2, '0')}`;

describe('delegate holding metrics', () => {
  it('a held delegate lists this host first, then the foreign MACs of a conflict; an unknown one nothing', () => {
    expect(delegateHolderMacs(entry({ address: '192.0.2.100', role: 'delegate', held: true }), MAC0)).toEqual([MAC0]);
    expect(delegateHolderMacs(entry({ address: '192.0.2.100', role: 'delegate', held: true, state: 'conflict', macs: [sighting(macN(1))] }), MAC0)).toEqual([MAC0, macN(1)]);
    expect(delegateHolderMacs(entry({ address: '192.0.2.100', role: 'delegate', held: false, state: 'unknown', holders: [macN(1)] }), MAC0)).toBeNull();
    expect(delegateHolderMacs(entry({ address: '192.0.2.10' }), MAC0)).toBeNull();
  });

  it('a delegate held elsewhere lists the last round, not every MAC of the episode; bounded', () => {
    const many = Array.from({ length: 20 }, (_, i) => macN(i));
    const e = entry({ address: '192.0.2.100', role: 'delegate', held: false, state: 'split-brain', holders: many.slice(0, 3), macs: many.map((m) => sighting(m)) });
    expect(delegateHolderMacs(e, MAC0)).toEqual(many.slice(0, 3));
    // declared within the first round: the split brain's MACs, at most 8
    const got = delegateHolderMacs({ ...e, holders: [] }, MAC0)!;
    expect(got).toEqual(many.slice(0, MAX_MACS_PER_ADDRESS));
  });

  it('holder series follow the view: a MAC that stops answering disappears at the next scrape', async () => {
    const d = entry({ address: '192.0.2.100', role: 'delegate', held: false, state: 'split-brain', holders: [macN(1), macN(2)], macs: [sighting(macN(1)), sighting(macN(2))] });
    const view = new FakeView([d], [iface({ name: 'eth0' })]);
    const m = new DupipMetrics({ version: '0', processMetrics: false });
    m.attach(view);
    const holders = async () => (await m.metrics()).split('\n').filter((l) => l.startsWith('dupip_delegate_holder_info{'));
    expect(await holders()).toHaveLength(2);
    expect(await m.metrics()).toContain('dupip_delegate_held{address="192.0.2.100",interface="eth0"} 0');
    view.entries = [{ ...d, state: 'ok', holders: [macN(2)], macs: [] }];
    expect(await holders()).toEqual([`dupip_delegate_holder_info{address="192.0.2.100",mac="${macN(2)}"} 1`]);
    view.entries = [{ ...d, held: true, state: 'ok', holders: [], macs: [] }];
    expect(await holders()).toEqual([`dupip_delegate_holder_info{address="192.0.2.100",mac="${MAC0}"} 1`]);
    expect(await m.metrics()).toContain('dupip_delegate_held{address="192.0.2.100",interface="eth0"} 1');
  });
});
