/** Constants of RFC 5227 §1.1 in milliseconds (see ../shared/reference/field-notes.md §1). */
export const PROBE_WAIT_MS = 1000;
export const PROBE_NUM = 3;
export const PROBE_MIN_MS = 1000;
export const PROBE_MAX_MS = 2000;
export const ANNOUNCE_WAIT_MS = 2000;
export const ANNOUNCE_NUM = 2;
export const ANNOUNCE_INTERVAL_MS = 2000;
export const MAX_CONFLICTS = 10;
export const RATE_LIMIT_INTERVAL_MS = 60_000;
/** At most one defending announcement per address within this window. */
export const DEFEND_INTERVAL_MS = 10_000;
