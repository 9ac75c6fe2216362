/**
 * The state machine of a delegate (a floating address) that this host does not hold: who holds it?
 *
 * One function per input, each a `switch` over the machine's own state. Inputs:
 *   answer  a foreign MAC answers for the address while our probe round is open;
 *   signal  a foreign MAC other than the last holder claims the address while no round is open
 *           (a takeover's gratuitous announcement, typically);
 *   round   our probe round's reply window ended;
 *   reset   the address left this role (no longer watched, or now held here).
 *
 * A split brain is two MACs answering the same probe *at the same time*. A second MAC in an
 * ordinary round may be a failover under way (the old holder answered, then gave the address up,
 * then the new one announced it), so it is not declared at once: the machine asks for a
 * confirmation round (step.confirm: the detector sends a probe at once, within the send cap).
 * Two MACs answering the confirmation round are a split brain, declared on the second answer
 * (one round trip after the second MAC appeared); one MAC alone is the holder, and a new one is a
 * failover. A signal asks for a confirmation round in the same way, at most once per
 * `minGapMs`, so a flood of foreign claims cannot turn into a flood of probes.
 */
import type { MacSighting } from './events.js';
import type { Mac } from './mac.js';
import type { Sender } from './observation.js';
import { Sightings, type Tally } from './sightings.js';

export type DelegateState = 'unknown' | 'ok' | 'split-brain' | 'unanswered';
export const DELEGATE_STATES: readonly DelegateState[] = ['unknown', 'ok', 'split-brain', 'unanswered'];
export type DelegateInput = 'answer' | 'signal' | 'round' | 'reset';

/** Empty probe rounds in a row before a delegate is declared unanswered (one lost reply is not an outage). */
export const UNANSWERED_ROUNDS = 2;

/** Every edge the machine may take (from, input, to), self-loops included. */
export const DELEGATE_EDGES: readonly (readonly [DelegateState, DelegateInput, DelegateState])[] = [
  ['unknown', 'answer', 'unknown'],
  ['unknown', 'answer', 'split-brain'],
  ['ok', 'answer', 'ok'],
  ['ok', 'answer', 'split-brain'],
  ['unanswered', 'answer', 'unanswered'],
  ['unanswered', 'answer', 'split-brain'],
  ['split-brain', 'answer', 'split-brain'],
  ['unknown', 'signal', 'unknown'],
  ['ok', 'signal', 'ok'],
  ['unanswered', 'signal', 'unanswered'],
  ['split-brain', 'signal', 'split-brain'],
  ['unknown', 'round', 'unknown'],
  ['unknown', 'round', 'ok'],
  ['unknown', 'round', 'unanswered'],
  ['ok', 'round', 'ok'],
  ['ok', 'round', 'unanswered'],
  ['split-brain', 'round', 'split-brain'],
  ['split-brain', 'round', 'ok'],
  ['split-brain', 'round', 'unanswered'],
  ['unanswered', 'round', 'unanswered'],
  ['unanswered', 'round', 'ok'],
  ['unknown', 'reset', 'unknown'],
  ['ok', 'reset', 'unknown'],
  ['split-brain', 'reset', 'unknown'],
  ['unanswered', 'reset', 'unknown'],
];

export interface DelegateMachine {
  readonly role: 'delegate';
  state: DelegateState;
  /** The address's life-long counters. */
  readonly tally: Tally;
  /** The MACs of the current split brain. */
  macs: Sightings;
  /** The MACs that answered the open (or last) round. */
  round: Sightings;
  missedRounds: number;
  /** Distinct MACs that answered the last completed round. */
  holders: Mac[];
  unexpectedHolder: boolean;
  /** A confirmation round is wanted: the next probe opens one. */
  confirmWanted: boolean;
  /** The open (or last) round is a confirmation round. */
  confirming: boolean;
  /** When the last signal asked for a confirmation round. */
  signalAt: number | null;
}

export function newDelegateMachine(tally: Tally): DelegateMachine {
  return { role: 'delegate', state: 'unknown', tally, macs: new Sightings(tally), round: new Sightings(tally), missedRounds: 0, holders: [], unexpectedHolder: false, confirmWanted: false, confirming: false, signalAt: null };
}

export interface DelegateStep {
  to?: DelegateState;
  reason?: string;
  /** A MAC newly listed in the split brain under way. */
  addedMac?: MacSighting;
  /** The holder changed between two rounds with one holder each. */
  failover?: { from: Mac; to: Mac };
  /** The holder is not one of the allowed MACs (reported when it becomes so). */
  unexpected?: Mac;
  /** The single holder of the round just ended. */
  holder?: Mac;
  /** Send a probe now: it opens a confirmation round. */
  confirm?: boolean;
}

/** Our probe went out: a new round of answers starts. */
export function delegateRoundStart(m: DelegateMachine): void {
  m.round = m.round.emptied();
  m.confirming = m.confirmWanted;
  m.confirmWanted = false;
}

/** A foreign MAC answers for the delegate during an open round. */
export function delegateAnswer(m: DelegateMachine, from: Sender, label: string, now: number): DelegateStep {
  const r = m.round.sight(from.mac, from.ethernetSource, now);
  if (m.round.size < 2) return {};
  m.tally.framesSinceSummary++;
  switch (m.state) {
    case 'unknown':
    case 'ok':
    case 'unanswered':
      if (!m.confirming) {
        // A new MAC in an ordinary round: a takeover until our own probe shows both answering.
        if (m.confirmWanted) return {};
        m.confirmWanted = true;
        return { confirm: true };
      }
      m.macs = Sightings.copyOf(m.round);
      return { to: 'split-brain', reason: `${m.round.macs().join(', ')} all answer for ${label}, confirmed by a second probe` };
    case 'split-brain': {
      if (r.kind === 'overflow') return {}; // counted by the round's list
      const s = m.macs.sight(from.mac, from.ethernetSource, now);
      return s.kind === 'new' ? { addedMac: s.sighting } : {};
    }
    default:
      return unreachable(m.state);
  }
}

/** A foreign MAC claims the delegate while no round is open; `lastHolder` is the last MAC known to hold it. */
export function delegateSignal(m: DelegateMachine, from: Sender, lastHolder: Mac | null, minGapMs: number, now: number): DelegateStep {
  if (from.mac === lastHolder || m.confirmWanted) return {};
  if (m.signalAt !== null && now - m.signalAt < minGapMs) return {};
  switch (m.state) {
    case 'unknown':
    case 'ok':
    case 'unanswered':
      m.signalAt = now;
      m.confirmWanted = true;
      return { confirm: true };
    case 'split-brain':
      return {}; // already declared; the rounds decide when it ends
    default:
      return unreachable(m.state);
  }
}

/** Our probe round's reply window ended. `lastHolder` is the last MAC known to hold the delegate. */
export function delegateRound(m: DelegateMachine, lastHolder: Mac | null, allowedMacs: ReadonlySet<Mac>): DelegateStep {
  const holders = m.round.macs();
  m.confirming = false;
  // Two MACs awaiting confirmation are not yet two holders: the report keeps the last holders.
  if (holders.length < 2 || m.state === 'split-brain') m.holders = holders;
  if (holders.length === 0) {
    m.missedRounds++;
    switch (m.state) {
      case 'unknown':
      case 'ok':
      case 'split-brain':
        return m.missedRounds >= UNANSWERED_ROUNDS ? { to: 'unanswered', reason: `no host answered ${m.missedRounds} probe rounds` } : {};
      case 'unanswered':
        return {};
      default:
        return unreachable(m.state);
    }
  }
  m.missedRounds = 0;
  // Two or more: a split brain was declared on the second answer, or a confirmation round is wanted.
  if (holders.length >= 2) return {};
  const holder = holders[0]!;
  const step: DelegateStep = { holder };
  if (lastHolder !== null && lastHolder !== holder) step.failover = { from: lastHolder, to: holder };
  const unexpected = allowedMacs.size > 0 && !allowedMacs.has(holder);
  if (unexpected && !m.unexpectedHolder) step.unexpected = holder;
  m.unexpectedHolder = unexpected;
  switch (m.state) {
    case 'unknown':
    case 'split-brain':
    case 'unanswered':
      return { ...step, to: 'ok', reason: `held by ${holder}` };
    case 'ok':
      return step;
    default:
      return unreachable(m.state);
  }
}

/** Applies a decided state change; leaving a split brain drops its MACs (the ended episode keeps its own). */
export function delegateEnter(m: DelegateMachine, to: DelegateState): void {
  m.state = to;
  if (to !== 'split-brain') m.macs = m.macs.emptied();
}

/** The address left this role. */
export function delegateReset(m: DelegateMachine): DelegateStep {
  m.round = m.round.emptied();
  m.missedRounds = 0;
  m.holders = [];
  m.unexpectedHolder = false;
  m.confirmWanted = m.confirming = false;
  m.signalAt = null;
  return m.state === 'unknown' ? {} : { to: 'unknown' };
}

function unreachable(state: never): never {
  throw new Error(`delegate machine in impossible state ${String(state)}`);
}
