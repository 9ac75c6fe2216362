/**
 * The RFC 5227 §1.1 constants dupip uses, in milliseconds. The others (PROBE_*, ANNOUNCE_NUM,
 * ANNOUNCE_INTERVAL, MAX_CONFLICTS, RATE_LIMIT_INTERVAL) govern claiming an address, which dupip
 * never does: it watches addresses the host already has.
 */
/** Delay before announcing an address that has just become this host's. */
export const ANNOUNCE_WAIT_MS = 2000;
/** At most one defending announcement per address within this window. */
export const DEFEND_INTERVAL_MS = 10_000;
