/**
 * Every exit status of the dupip command line, in one place (README.md and `--help` describe them).
 *
 *   0   done; nothing wrong (probe: nobody else answered; status: every address ok)
 *   1   found a problem (probe: a duplicate; status: a conflict, split brain or unanswered delegate),
 *       or the daemon failed (e.g. no CAP_NET_RAW)
 *   2   could not do it: wrong command line, probe impossible, daemon unreachable
 *   70  daemon: an internal error outside the isolated entry points (EX_SOFTWARE of sysexits.h)
 *   78  invalid configuration (EX_CONFIG of sysexits.h)
 */
export const EXIT_OK = 0;
/** probe: another host answered for the address. */
export const EXIT_DUPLICATE = 1;
/** status: an address is in conflict, split brain or unanswered. */
export const EXIT_PROBLEM = 1;
/** daemon: a fatal error at start or while running. */
export const EXIT_FATAL = 1;
/** An unknown command or no command. */
export const EXIT_USAGE = 2;
/** probe: could not probe (unknown interface, interface down, permission denied, nothing sent). */
export const EXIT_CANNOT_PROBE = 2;
/** status: the daemon cannot be reached, or the command line is wrong. */
export const EXIT_UNREACHABLE = 2;
/** EX_SOFTWARE from sysexits.h: an exception outside the isolated entry points (logged with its stack). */
export const EXIT_INTERNAL = 70;
/** EX_CONFIG from sysexits.h: the configuration is invalid. */
export const EX_CONFIG = 78;
