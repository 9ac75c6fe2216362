// The churn log (src/daemon/churn-log.ts): what container churn on explicitly watched veths makes the
// detector say goes into the summary line with counts; conflicts and the uplink's lines are logged as ever.
import { Writable } from 'node:stream';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import type { DetectorEvent, EntrySnapshot } from '../../src/core/events.js';
import { ChurnLog } from '../../src/daemon/churn-log.js';
import { zeroChurn } from '../../src/daemon/host-view.js';
import { ip } from '../support/fake-world.js';

function setup() {
  const lines: Array<Record<string, unknown>> = [];
  const sink = new Writable({
    write(chunk: Buffer, _e, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  const churn = new ChurnLog(pino({ level: 'info' }, sink), 60_000);
  const logged: DetectorEvent[] = [];
  const scopes = new Map([['eth0', 'network' as const], ['s-1', 'host' as const], ['s-9', 'host' as const]]);
  const log = churn.quieting((e) => logged.push(e), (n) => scopes.get(n));
  return { churn, lines, logged, log };
}

const entry = (ifname: string, state: EntrySnapshot['state'] = 'ok'): EntrySnapshot => ({ address: '203.0.113.1', ip: ip('203.0.113.1'), interface: ifname, role: 'own', held: true, state, macs: [], holders: [], unexpectedHolder: false, lastProbe: null, episodeStart: null, macOverflow: 0 });

describe('the churn log', () => {
  it('counts the watch, down/up and unknown/ok changes of host-internal links, logs everything else', () => {
    const { churn, lines, logged, log } = setup();
    log({ type: 'watch', at: 0, entry: entry('s-1'), change: 'added' });
    log({ type: 'watch', at: 0, entry: entry('s-9'), change: 'removed' }); // gone with its container (the scope it had)
    log({ type: 'interface', at: 0, interface: 's-1', up: false });
    log({ type: 'state', at: 0, entry: entry('s-1'), from: 'unknown', to: 'ok', reason: '' });
    log({ type: 'state', at: 0, entry: entry('s-9'), from: 'ok', to: 'unknown', reason: 'no longer monitored' });
    log({ type: 'sent', at: 0, interface: 's-1', kind: 'probe', address: '203.0.113.1', outcome: 'interface-down' });
    expect(logged).toEqual([]);
    const conflict: DetectorEvent = { type: 'state', at: 0, entry: entry('s-1', 'conflict'), from: 'ok', to: 'conflict', reason: 'claimed' };
    const uplink: DetectorEvent = { type: 'interface', at: 0, interface: 'eth0', up: false };
    const uplinkState: DetectorEvent = { type: 'state', at: 0, entry: entry('eth0'), from: 'unknown', to: 'ok', reason: '' };
    const unknownLink: DetectorEvent = { type: 'watch', at: 0, entry: entry('eth7'), change: 'removed' }; // no scope known: logged
    for (const e of [conflict, uplink, uplinkState, unknownLink]) log(e);
    expect(logged).toEqual([conflict, uplink, uplinkState, unknownLink]);

    churn.interfaceProblems([], ['interface s-1 does not exist'], 0);
    churn.interfaceProblems(['interface s-1 does not exist'], [], 10);
    churn.interfaceProblems([], ['interface s-2 does not exist'], 20);
    churn.interfaceProblems([], ['interface s-3 does not use ARP'], 20);
    expect(lines.map((l) => l.msg)).toEqual(['interface s-3 does not use ARP']);
    churn.summary(zeroChurn(), 3);
    expect(lines[1]).toMatchObject({ event: 'interfaces-changed', watchChanges: 2, linkStateChanges: 1, stateChanges: 2, sendsOnLinksGone: 1, namedMissing: 2, missingNow: ['s-2'], missingNowCount: 1 });
    churn.summary(zeroChurn(), 3); // nothing since: no line
    expect(lines.length).toBe(2);
  });

  it('at the start (a full derivation) a missing named interface is a problem line', () => {
    const { churn, lines } = setup();
    churn.problems(['interface eth9 does not exist'], 0);
    expect(lines.map((l) => l.msg)).toEqual(['interface eth9 does not exist']);
  });
});
