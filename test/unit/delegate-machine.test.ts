/**
 * The delegate machine (a delegate this host does not hold), state × input: every row is one
 * edge of DELEGATE_EDGES, and every edge has a row.
 */
import { describe, expect, it } from 'vitest';
import { type EdgeRow, stateTable } from '../support/state-table.js';
import {
  DELEGATE_EDGES,
  DELEGATE_STATES,
  type DelegateInput,
  type DelegateMachine,
  type DelegateState,
  type DelegateStep,
  UNANSWERED_ROUNDS,
  delegateAnswer,
  delegateEnter,
  delegateReset,
  delegateRound,
  delegateRoundStart,
  delegateSignal,
  newDelegateMachine,
} from '../../src/core/delegate-machine.js';
import { MAX_MACS_PER_ADDRESS, newTally } from '../../src/core/sightings.js';

const mac = (i: number) => `02:00:00:00:02:${i.toString(16).padStart(2, '0')}`;
const [P1, P2, P3] = [mac(1), mac(2), mac(3)];
const NONE = new Set<string>();

function machineIn(state: DelegateState): DelegateMachine {
  const m = newDelegateMachine(newTally());
  m.state = state;
  if (state === 'split-brain') for (const p of [P1, P2]) m.macs.sight(p, p, 0);
  delegateRoundStart(m);
  return m;
}

const answer = (m: DelegateMachine, who: string) => delegateAnswer(m, { mac: who, ethernetSource: who }, '198.51.100.10', 100);
const answers = (m: DelegateMachine, ...who: string[]) => who.map((w) => answer(m, w)).reduce((a, s) => ({ ...a, ...s }), {} as DelegateStep);
const round = (m: DelegateMachine, ...who: string[]) => {
  for (const w of who) answer(m, w);
  return delegateRound(m, null, NONE);
};

function apply(m: DelegateMachine, step: DelegateStep): DelegateState {
  if (step.to) delegateEnter(m, step.to);
  return m.state;
}

type Row = EdgeRow<DelegateState, DelegateInput, DelegateMachine, DelegateStep>;

/** Opens a confirmation round, as the detector does when a step asks for one. */
const confirmationRound = (m: DelegateMachine) => {
  m.confirmWanted = true;
  delegateRoundStart(m);
  expect(m.confirming).toBe(true);
};
const signal = (m: DelegateMachine, who: string, lastHolder: string | null, now = 100) => delegateSignal(m, { mac: who, ethernetSource: who }, lastHolder, 1000, now);

const firstAnswer = (from: DelegateState): Row => ({ from, input: 'answer', to: from, when: 'the first MAC of the round', run: (m) => answer(m, P1) });
const secondAnswer = (from: Exclude<DelegateState, 'split-brain'>): Row => ({
  from,
  input: 'answer',
  to: from,
  when: 'a second MAC in an ordinary round: a takeover until proven otherwise, confirm with a probe at once (asked once)',
  run: (m) => answers(m, P1, P2),
  check: (m, s) => {
    expect(s.confirm).toBe(true);
    expect(m.confirmWanted).toBe(true);
    expect(answer(m, P3)).toEqual({});
    expect(m.macs.size).toBe(0);
  },
});
const confirmedSecond = (from: Exclude<DelegateState, 'split-brain'>): Row => ({
  from,
  input: 'answer',
  to: 'split-brain',
  when: 'a second MAC answering the confirmation round: split brain naming both',
  run: (m) => (confirmationRound(m), answers(m, P1, P2)),
  check: (m) => expect(m.macs.macs()).toEqual([P1, P2]),
});
const signalled = (from: Exclude<DelegateState, 'split-brain'>): Row => ({
  from,
  input: 'signal',
  to: from,
  when: 'a MAC other than the last holder claims it between rounds: confirm at once, at most once per gap',
  run: (m) => signal(m, P2, P1),
  check: (m, s) => {
    expect(s.confirm).toBe(true);
    expect(signal(m, P3, P1)).toEqual({}); // one confirmation wanted at a time
    delegateRoundStart(m);
    delegateRound(m, P1, NONE);
    expect(signal(m, P3, P1, 100 + 999)).toEqual({}); // within the gap
    expect(signal(m, P3, P1, 100 + 1000).confirm).toBe(true);
    expect(signal({ ...newDelegateMachine(newTally()), state: from }, P1, P1)).toEqual({}); // the holder itself
  },
});
const missed = (from: DelegateState, to: DelegateState, before: number, when: string): Row => ({
  from,
  input: 'round',
  to,
  when,
  run: (m) => {
    m.missedRounds = before;
    return delegateRound(m, null, NONE);
  },
});

const rows: Row[] = [
  firstAnswer('unknown'),
  firstAnswer('ok'),
  firstAnswer('unanswered'),
  secondAnswer('unknown'),
  secondAnswer('ok'),
  secondAnswer('unanswered'),
  confirmedSecond('unknown'),
  confirmedSecond('ok'),
  confirmedSecond('unanswered'),
  signalled('unknown'),
  signalled('ok'),
  signalled('unanswered'),
  { from: 'split-brain', input: 'signal', to: 'split-brain', when: 'already declared: the rounds decide', run: (m) => signal(m, P3, P1), check: (_, s) => expect(s.confirm).toBeUndefined() },
  {
    from: 'split-brain',
    input: 'answer',
    to: 'split-brain',
    when: 'any answer; new MACs are reported while the list has room, and counted after',
    run: (m) => answers(m, P1, P2, P3),
    check: (m, s) => {
      expect(s.addedMac?.mac).toBe(P3);
      delegateRoundStart(m);
      const added = Array.from({ length: 20 }, (_, i) => answer(m, mac(10 + i)).addedMac).filter(Boolean);
      expect(added.length).toBe(MAX_MACS_PER_ADDRESS - 3);
      expect(m.macs.size).toBe(MAX_MACS_PER_ADDRESS);
      expect(m.macs.tally.macOverflow).toBeGreaterThan(0);
    },
  },
  missed('unknown', 'unknown', 0, 'an empty round, fewer than UNANSWERED_ROUNDS in a row'),
  missed('unknown', 'unanswered', UNANSWERED_ROUNDS - 1, 'the UNANSWERED_ROUNDS-th empty round in a row'),
  { from: 'unknown', input: 'round', to: 'ok', when: 'one holder', run: (m) => round(m, P1), check: (m) => expect(m.holders).toEqual([P1]) },
  { from: 'ok', input: 'round', to: 'ok', when: 'one holder (a different one is a failover)', run: (m) => (answer(m, P2), delegateRound(m, P1, NONE)), check: (_, s) => expect(s.failover).toEqual({ from: P1, to: P2 }) },
  {
    from: 'ok',
    input: 'round',
    to: 'ok',
    when: 'two MACs awaiting confirmation: nothing decided, the last holders kept',
    run: (m) => {
      m.holders = [P1];
      answers(m, P1, P2);
      return delegateRound(m, P1, NONE);
    },
    check: (m, s) => {
      expect(s).toEqual({});
      expect(m.holders).toEqual([P1]);
      expect(m.confirmWanted).toBe(true);
    },
  },
  {
    from: 'ok',
    input: 'round',
    to: 'ok',
    when: 'the confirmation round answered by the new MAC alone: a failover, not a split brain',
    run: (m) => {
      answers(m, P1, P2);
      delegateRoundStart(m);
      answer(m, P2);
      return delegateRound(m, P1, NONE);
    },
    check: (m, s) => {
      expect(s.failover).toEqual({ from: P1, to: P2 });
      expect(m.confirming).toBe(false);
      expect(m.holders).toEqual([P2]);
    },
  },
  missed('ok', 'unanswered', UNANSWERED_ROUNDS - 1, 'the UNANSWERED_ROUNDS-th empty round in a row'),
  { from: 'split-brain', input: 'round', to: 'split-brain', when: 'two or more holders', run: (m) => round(m, P1, P2) },
  { from: 'split-brain', input: 'round', to: 'ok', when: 'one holder', run: (m) => round(m, P1), check: (m) => expect(m.macs.size).toBe(0) },
  missed('split-brain', 'unanswered', UNANSWERED_ROUNDS - 1, 'the UNANSWERED_ROUNDS-th empty round in a row'),
  missed('unanswered', 'unanswered', UNANSWERED_ROUNDS, 'an empty round'),
  { from: 'unanswered', input: 'round', to: 'ok', when: 'one holder', run: (m) => round(m, P1) },
  ...DELEGATE_STATES.map((from): Row => ({ from, input: 'reset', to: 'unknown', when: 'the address leaves the role', run: (m) => delegateReset(m) })),
];

describe('delegate machine: state × input', () => {
  stateTable(rows, DELEGATE_EDGES, (s) => machineIn(s), apply);

  it('a split brain of more than MAX_MACS_PER_ADDRESS MACs in one round lists the first ones and counts the rest', () => {
    const m = machineIn('ok');
    confirmationRound(m);
    const steps = Array.from({ length: 12 }, (_, i) => {
      const step = answer(m, mac(i));
      apply(m, step);
      return step;
    });
    expect(steps.map((s) => s.to ?? (s.addedMac ? 'added' : '-'))).toEqual(['-', 'split-brain', ...Array(MAX_MACS_PER_ADDRESS - 2).fill('added'), '-', '-', '-', '-']);
    expect(m.macs.macs()).toEqual(Array.from({ length: MAX_MACS_PER_ADDRESS }, (_, i) => mac(i)));
    expect(m.round.size).toBe(MAX_MACS_PER_ADDRESS);
    expect(m.macs.tally.macOverflow).toBe(12 - MAX_MACS_PER_ADDRESS);
  });

  it('flags an unexpected holder once, when it becomes one', () => {
    const m = machineIn('ok');
    const allowed = new Set([P2]);
    answer(m, P1);
    expect(delegateRound(m, P1, allowed).unexpected).toBe(P1);
    delegateRoundStart(m);
    answer(m, P1);
    expect(delegateRound(m, P1, allowed).unexpected).toBeUndefined();
    expect(m.unexpectedHolder).toBe(true);
  });
});
