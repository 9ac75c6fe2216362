/**
 * The held-address machine, state × input: every row is one edge of HELD_EDGES, and every edge
 * has a row. The machine is plain data, so each row builds it in the state it starts from.
 */
import { describe, expect, it } from 'vitest';
import { type EdgeRow, stateTable } from '../support/state-table.js';
import {
  HELD_EDGES,
  HELD_STATES,
  type HeldInput,
  type HeldMachine,
  type HeldState,
  type HeldStep,
  heldClaim,
  heldEnter,
  heldProbe,
  heldReset,
  heldRound,
  newHeldMachine,
} from '../../src/core/held-machine.js';
import { MAX_MACS_PER_ADDRESS, newTally } from '../../src/core/sightings.js';

const POLICY = { defend: 'once' as const, clearAfter: 3 };
const ADDR = 0xc000020a;
const mac = (i: number) => `02:00:00:00:01:${i.toString(16).padStart(2, '0')}`;
const CLAIMER = '02:00:00:00:00:99';

/** A machine in `state`, with `contesters` MACs listed when it is contested or in conflict. */
function machineIn(state: HeldState, listed = 1): HeldMachine {
  const m = newHeldMachine(newTally());
  m.state = state;
  if (state === 'conflict' || state === 'contested') for (let i = 0; i < listed; i++) m.macs.sight(mac(i), mac(i), 0);
  return m;
}

const claim = (m: HeldMachine, who = CLAIMER, now = 100) =>
  heldClaim(m, { kind: 'claim', address: ADDR, mac: who, reply: false }, { mac: who, ethernetSource: who }, '192.0.2.10', POLICY, now);
const probe = (m: HeldMachine, who = CLAIMER) => heldProbe(m, { mac: who, ethernetSource: who }, '192.0.2.10', 100);

/** Applies a step as the detector does. */
function apply(m: HeldMachine, step: HeldStep): HeldState {
  if (step.to) heldEnter(m, step.to);
  return m.state;
}

type Row = EdgeRow<HeldState, HeldInput, HeldMachine, HeldStep>;

const rows: Row[] = [
  { from: 'unknown', input: 'claim', to: 'conflict', when: 'any claim', run: (m) => claim(m), check: (m) => expect(m.macs.macs()).toEqual([CLAIMER]) },
  { from: 'ok', input: 'claim', to: 'conflict', when: 'any claim', run: (m) => claim(m), check: (m, s) => (expect(m.macs.macs()).toEqual([CLAIMER]), expect(s.defend).toBe(true)) },
  {
    from: 'contested',
    input: 'claim',
    to: 'conflict',
    when: 'a claim, even after MAX_MACS_PER_ADDRESS contesters: the claimer is listed, the probers are not',
    run: (m) => {
      for (let i = 1; i < MAX_MACS_PER_ADDRESS + 3; i++) probe(m, mac(i));
      return claim(m);
    },
    check: (m) => expect(m.macs.macs()).toEqual([CLAIMER]),
  },
  {
    from: 'conflict',
    input: 'claim',
    to: 'conflict',
    when: 'a claim from a new MAC: listed and reported while the list has room, counted after',
    run: (m) => claim(m),
    check: (m, s) => {
      expect(s.addedMac?.mac).toBe(CLAIMER);
      for (let i = 0; i < 20; i++) claim(m, mac(100 + i));
      expect(m.macs.size).toBe(MAX_MACS_PER_ADDRESS);
      expect(m.macs.tally.macOverflow).toBe(20 - (MAX_MACS_PER_ADDRESS - 2));
      expect(claim(m, mac(200)).addedMac).toBeUndefined();
    },
  },
  { from: 'unknown', input: 'probe', to: 'contested', when: 'any probe', run: (m) => probe(m), check: (m) => expect(m.macs.macs()).toEqual([CLAIMER]) },
  { from: 'ok', input: 'probe', to: 'contested', when: 'any probe', run: (m) => probe(m) },
  { from: 'contested', input: 'probe', to: 'contested', when: 'any probe; a new MAC is reported', run: (m) => probe(m), check: (_, s) => expect(s.addedMac?.mac).toBe(CLAIMER) },
  { from: 'conflict', input: 'probe', to: 'conflict', when: 'any probe (it only keeps the round from being quiet)', run: (m) => probe(m), check: (m) => expect(m.contests).toBe(1) },
  { from: 'unknown', input: 'round', to: 'ok', when: 'the first round ends', run: (m) => heldRound(m, POLICY) },
  { from: 'ok', input: 'round', to: 'ok', when: 'a round ends', run: (m) => heldRound(m, POLICY) },
  { from: 'conflict', input: 'round', to: 'conflict', when: 'a round with claims, or fewer than clear_after quiet rounds', run: (m) => (claim(m), heldRound(m, POLICY)) },
  {
    from: 'conflict',
    input: 'round',
    to: 'ok',
    when: 'the clear_after-th quiet round in a row',
    run: (m) => {
      m.cleanRounds = POLICY.clearAfter - 1;
      return heldRound(m, POLICY);
    },
    check: (m) => expect(m.macs.size).toBe(0),
  },
  { from: 'contested', input: 'round', to: 'contested', when: 'a round with probes', run: (m) => (probe(m), heldRound(m, POLICY)) },
  {
    from: 'contested',
    input: 'round',
    to: 'ok',
    when: 'the clear_after-th quiet round in a row',
    run: (m) => {
      heldRound(m, POLICY);
      heldRound(m, POLICY);
      return heldRound(m, POLICY);
    },
  },
  ...HELD_STATES.map((from): Row => ({ from, input: 'reset', to: 'unknown', when: 'the address leaves the role', run: (m) => heldReset(m) })),
];

describe('held-address machine: state × input', () => {
  stateTable(rows, HELD_EDGES, (s) => machineIn(s), apply);

  it('every state answers every input (no input is impossible in any state)', () => {
    const inputs: Record<HeldInput, (m: HeldMachine) => HeldStep> = { claim: (m) => claim(m), probe: (m) => probe(m), round: (m) => heldRound(m, POLICY), reset: heldReset };
    for (const s of HELD_STATES) {
      for (const [input, run] of Object.entries(inputs)) {
        const m = machineIn(s);
        const to = apply(m, run(m));
        expect(HELD_EDGES.some(([f, i, t]) => f === s && i === input && t === to)).toBe(true);
      }
    }
  });

  it('defends at most once per DEFEND_INTERVAL, and never with defend=never', () => {
    const m = machineIn('ok');
    expect(claim(m, CLAIMER, 0).defend).toBe(true);
    expect(claim(m, CLAIMER, 9_999).defend).toBeUndefined();
    expect(claim(m, CLAIMER, 10_000).defend).toBe(true);
    const n = machineIn('ok');
    expect(heldClaim(n, { kind: 'claim', address: ADDR, mac: CLAIMER, reply: true }, { mac: CLAIMER, ethernetSource: CLAIMER }, 'a', { ...POLICY, defend: 'never' }, 0).defend).toBeUndefined();
  });
});
