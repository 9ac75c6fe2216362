/**
 * The state machine of an address this host holds (own addresses and delegates held here).
 *
 * One function per input, each a `switch` over the machine's own state, as in n-acd's
 * n-acd-probe.c. The machine decides; the detector (src/core/detector.ts) schedules, sends and
 * reports. Inputs:
 *   claim  a foreign MAC says it has the address (a hard conflict, RFC 5227 §2.4);
 *   probe  a foreign MAC probes for the address (a soft conflict: someone wants it);
 *   round  our probe round's reply window ended;
 *   reset  the address left this role (no longer watched, or no longer held here).
 */
import type { Observation, Sender } from './observation.js';
import { DEFEND_INTERVAL_MS } from './rfc5227.js';
import { type MacSighting } from './events.js';
import { Sightings, type Tally } from './sightings.js';

export type HeldState = 'unknown' | 'ok' | 'conflict' | 'contested';
export const HELD_STATES: readonly HeldState[] = ['unknown', 'ok', 'conflict', 'contested'];
export type HeldInput = 'claim' | 'probe' | 'round' | 'reset';

/**
 * Every edge the machine may take (from, input, to), self-loops included. A conflict is only ever
 * entered by a claim, so it always names the claiming MAC.
 */
export const HELD_EDGES: readonly (readonly [HeldState, HeldInput, HeldState])[] = [
  ['unknown', 'claim', 'conflict'],
  ['ok', 'claim', 'conflict'],
  ['contested', 'claim', 'conflict'],
  ['conflict', 'claim', 'conflict'],
  ['unknown', 'probe', 'contested'],
  ['ok', 'probe', 'contested'],
  ['contested', 'probe', 'contested'],
  ['conflict', 'probe', 'conflict'],
  ['unknown', 'round', 'ok'],
  ['ok', 'round', 'ok'],
  ['conflict', 'round', 'conflict'],
  ['conflict', 'round', 'ok'],
  ['contested', 'round', 'contested'],
  ['contested', 'round', 'ok'],
  ['unknown', 'reset', 'unknown'],
  ['ok', 'reset', 'unknown'],
  ['conflict', 'reset', 'unknown'],
  ['contested', 'reset', 'unknown'],
];

export interface HeldMachine {
  readonly role: 'held';
  state: HeldState;
  /** The address's life-long counters. */
  readonly tally: Tally;
  /** Foreign MACs of the current conflict or contest. */
  macs: Sightings;
  claims: number;
  contests: number;
  cleanRounds: number;
}

export function newHeldMachine(tally: Tally): HeldMachine {
  return { role: 'held', state: 'unknown', tally, macs: new Sightings(tally), claims: 0, contests: 0, cleanRounds: 0 };
}

/** What an input decided: a state change (with the reason the log gives), a MAC to report, a defence. */
export interface HeldStep {
  to?: HeldState;
  reason?: string;
  /** A MAC newly listed in the conflict or contest that is already under way. */
  addedMac?: MacSighting;
  defend?: boolean;
}

export interface HeldPolicy {
  defend: 'once' | 'never';
  clearAfter: number;
}

/** A foreign MAC says it has the address. */
export function heldClaim(m: HeldMachine, obs: Observation & { kind: 'claim' }, from: Sender, label: string, policy: HeldPolicy, now: number): HeldStep {
  m.claims++;
  m.cleanRounds = 0;
  m.tally.framesSinceSummary++;
  const step: HeldStep = {};
  switch (m.state) {
    case 'conflict': {
      const r = m.macs.sight(from.mac, from.ethernetSource, now);
      if (r.kind === 'new') step.addedMac = r.sighting;
      break;
    }
    case 'contested':
      // The conflict lists the claimer, not the contest's probers: a claim outranks a probe, and
      // the claimer is listed even when the contest's list is full.
      m.macs = m.macs.restartWith(from.mac, from.ethernetSource, now);
      Object.assign(step, enter('conflict', `${from.mac} ${obs.reply ? 'answers' : 'claims'} ${label}`));
      break;
    case 'unknown':
    case 'ok':
      m.macs = m.macs.emptied();
      m.macs.sight(from.mac, from.ethernetSource, now);
      Object.assign(step, enter('conflict', `${from.mac} ${obs.reply ? 'answers' : 'claims'} ${label}`));
      break;
    default:
      return unreachable(m.state);
  }
  if (policy.defend === 'once' && now - m.tally.lastDefendAt >= DEFEND_INTERVAL_MS) {
    m.tally.lastDefendAt = now;
    step.defend = true;
  }
  return step;
}

/** A foreign MAC probes for the address. */
export function heldProbe(m: HeldMachine, from: Sender, label: string, now: number): HeldStep {
  m.contests++;
  switch (m.state) {
    case 'unknown':
    case 'ok':
      m.macs = m.macs.emptied();
      m.macs.sight(from.mac, from.ethernetSource, now);
      m.cleanRounds = 0;
      return enter('contested', `${from.mac} probes for ${label}`);
    case 'contested': {
      m.cleanRounds = 0;
      const r = m.macs.sight(from.mac, from.ethernetSource, now);
      return r.kind === 'new' ? { addedMac: r.sighting } : {};
    }
    case 'conflict':
      return {}; // a probe adds nothing to a conflict; it still keeps the round from being quiet
    default:
      return unreachable(m.state);
  }
}

/** Our probe round's reply window ended. */
export function heldRound(m: HeldMachine, policy: HeldPolicy): HeldStep {
  const quiet = m.state === 'conflict' ? m.claims === 0 : m.contests === 0;
  m.claims = m.contests = 0;
  switch (m.state) {
    case 'unknown':
      return enter('ok', 'no other host answered the probe');
    case 'ok':
      return {};
    case 'conflict':
    case 'contested':
      m.cleanRounds = quiet ? m.cleanRounds + 1 : 0;
      return m.cleanRounds >= policy.clearAfter ? enter('ok', `${m.cleanRounds} clean probe rounds`) : {};
    default:
      return unreachable(m.state);
  }
}

/** Applies a decided state change; entering ok or unknown drops the MACs (the ended episode keeps its own). */
export function heldEnter(m: HeldMachine, to: HeldState): void {
  m.state = to;
  if (to === 'ok' || to === 'unknown') {
    m.macs = m.macs.emptied();
    m.cleanRounds = 0;
  }
}

/** The address left this role: back to unknown, counters cleared. */
export function heldReset(m: HeldMachine): HeldStep {
  m.claims = m.contests = m.cleanRounds = 0;
  return m.state === 'unknown' ? {} : { to: 'unknown' };
}

const enter = (to: HeldState, reason: string): HeldStep => ({ to, reason });

function unreachable(state: never): never {
  throw new Error(`held address machine in impossible state ${String(state)}`);
}
