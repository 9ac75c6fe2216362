/**
 * What a Neighbor Discovery frame tells the detector, in the family-neutral terms the ARP path
 * uses (src/core/detector.ts handleFrame):
 *
 *   holder  a MAC says it has `address`: an NA for its target (the TLLA, else the Ethernet
 *           source), or an NS from `address` (the SLLA, else the Ethernet source). ARP's
 *           "sender IP is watched". Whether it is a claim (this host holds the address: a
 *           conflict) or an answer (a delegate held elsewhere: a holder of the probe round)
 *           depends on whether the host holds it, exactly as for ARP: see classifyNd.
 *   probe   another host runs Duplicate Address Detection for `address` (an NS from ::): ARP's
 *           "sender IP 0.0.0.0, target watched". The nonce lets our own looped-back probes be
 *           recognised (RFC 7527).
 *
 * An NS from a host resolving `target` (source its own address) says nothing about who holds the
 * target; it is a holder observation for its source only. Pure: no I/O.
 */
import type { Ipv6 } from './ipv6.js';
import { UNSPECIFIED } from './ipv6.js';
import type { Mac } from './mac.js';
import { type NdFrame, TYPE_NEIGHBOR_ADVERTISEMENT } from './ndp.js';
import type { Observation } from './observation.js';

export type NdObservation =
  | {
      kind: 'holder';
      address: Ipv6;
      /** The link-layer address the frame asserts for `address`. */
      mac: Mac;
      /** The Ethernet source; differs from `mac` behind proxies or when the option names another MAC. */
      ethernetSource: Mac;
      via: 'advertisement' | 'solicitation';
      /** NA flags (false for an NS): S answers a solicitation, O overrides existing cache entries. */
      solicited: boolean;
      override: boolean;
    }
  | {
      kind: 'probe';
      address: Ipv6;
      /** The prober's MAC: a DAD NS carries no SLLA, so the Ethernet source. */
      mac: Mac;
      ethernetSource: Mac;
      /** RFC 7527 nonce as hex, null when the prober sent none. */
      nonce: string | null;
    };

/** Maps one decoded ND frame to the one observation it carries. */
export function observeNd(frame: NdFrame, ethernetSource: Mac): NdObservation {
  if (frame.type === TYPE_NEIGHBOR_ADVERTISEMENT) {
    return {
      kind: 'holder',
      address: frame.target,
      mac: frame.targetLinkLayer ?? ethernetSource,
      ethernetSource,
      via: 'advertisement',
      solicited: frame.solicited,
      override: frame.override,
    };
  }
  if (frame.source === UNSPECIFIED) {
    return { kind: 'probe', address: frame.target, mac: ethernetSource, ethernetSource, nonce: frame.nonce };
  }
  return {
    kind: 'holder',
    address: frame.source,
    mac: frame.sourceLinkLayer ?? ethernetSource,
    ethernetSource,
    via: 'solicitation',
    solicited: false,
    override: false,
  };
}

/**
 * What the detector makes of an observation for a watched address, the ARP rules carried over:
 *   own        sent by this host: one of its MACs (as `mac` or Ethernet source), or a probe with
 *              a nonce this host sent (a looped-back DAD probe);
 *   claim      a foreign holder of an address this host holds: a conflict at once;
 *   answer     a foreign holder of a delegate this host does not hold: counts if a round is open;
 *   probe      a foreign DAD probe for an address this host holds: contested;
 *   unwatched  a foreign DAD probe for an address this host does not hold: a peer taking the
 *              delegate over is not our business (and must never be disturbed).
 * The ignore list, VRRP MACs and allowed MACs stay the detector's, as for ARP.
 */
export type NdVerdict = 'own' | 'claim' | 'answer' | 'probe' | 'unwatched';

export interface NdContext {
  /** Does this host hold the observed address (configured here, DAD done)? */
  held: boolean;
  /** Every MAC of this host, on every interface. */
  ownMacs: ReadonlySet<Mac>;
  /** Nonces of the DAD probes this host sent recently. */
  ownNonces: ReadonlySet<string>;
}

export function classifyNd(observation: NdObservation, context: NdContext): NdVerdict {
  if (context.ownMacs.has(observation.mac) || context.ownMacs.has(observation.ethernetSource)) return 'own';
  if (observation.kind === 'probe') {
    if (observation.nonce !== null && context.ownNonces.has(observation.nonce)) return 'own';
    return context.held ? 'probe' : 'unwatched';
  }
  return context.held ? 'claim' : 'answer';
}

/**
 * The family-neutral Observation (src/core/observation.ts) an ND observation feeds the detector's
 * machines with: a holder is a claim (a `reply` when it came in a solicited NA), a DAD NS a probe
 * with its nonce. The detector's own-MAC, nonce, ignore-list and VRRP guards then apply as for ARP.
 */
export function toObservation(o: NdObservation): Observation {
  if (o.kind === 'probe') return { kind: 'probe', address: o.address, mac: o.mac, nonce: o.nonce };
  return { kind: 'claim', address: o.address, mac: o.mac, reply: o.via === 'advertisement' && o.solicited };
}
