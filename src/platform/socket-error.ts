/**
 * The packet socket's error type at the platform boundary: PacketSocketError and its kinds, and
 * what an errno means to a caller (classifyErrorCode, classifySendErrno, errnoError, fromNative).
 */
import { constants as osConstants } from 'node:os';
import type { SendOutcome } from '../core/events.js';


// ---- errors --------------------------------------------------------------------------

export type PacketSocketErrorKind = 'permission' | 'no-device' | 'interface-down' | 'fatal';

export class PacketSocketError extends Error {
  override name = 'PacketSocketError';
  constructor(
    message: string,
    /** errno name, e.g. 'EPERM' */
    readonly code: string,
    /** positive errno number (0 when unknown) */
    readonly errno: number,
    readonly kind: PacketSocketErrorKind,
    readonly syscall?: string,
  ) {
    super(message);
  }
}

export const ERRNO = osConstants.errno as Readonly<Record<string, number>>;
const ERRNO_NAMES = new Map<number, string>();
for (const [name, value] of Object.entries(ERRNO)) if (!ERRNO_NAMES.has(value)) ERRNO_NAMES.set(value, name);

/** errno number -> name ('EAGAIN' rather than 'EWOULDBLOCK'); 'E<n>' when unknown. */
export function errnoName(errno: number): string {
  return ERRNO_NAMES.get(errno) ?? `E${errno}`;
}

/** What an error code means to the caller of this module. */
export function classifyErrorCode(code: string): PacketSocketErrorKind {
  switch (code) {
    case 'EPERM': // no CAP_NET_RAW
    case 'EACCES':
      return 'permission';
    case 'ENODEV': // bind: no such interface
    case 'ENXIO': // the interface vanished
      return 'no-device';
    case 'ENETDOWN': // the interface is down; the socket resumes when it comes up
      return 'interface-down';
    default:
      return 'fatal';
  }
}

/**
 * What a send errno means: 'sent' (0), 'dropped' (the queue was full: EAGAIN, ENOBUFS),
 * 'interface-down' (ENETDOWN; ENXIO: the interface is gone), or 'error' for anything else,
 * which send() turns into a thrown PacketSocketError.
 */
export function classifySendErrno(errno: number): SendOutcome | 'error' {
  if (errno === 0) return 'sent';
  if (errno === ERRNO.EAGAIN || errno === ERRNO.EWOULDBLOCK || errno === ERRNO.ENOBUFS) return 'dropped';
  if (errno === ERRNO.ENETDOWN || errno === ERRNO.ENXIO) return 'interface-down';
  return 'error';
}

/** A PacketSocketError for a positive errno from `syscall`. */
export function errnoError(errno: number, syscall: string, context = ''): PacketSocketError {
  const code = errnoName(errno);
  return new PacketSocketError(`${syscall} ${code}${context ? ` (${context})` : ''}`, code, errno, classifyErrorCode(code), syscall);
}

/** Converts an error thrown by the addon ({code, errno, syscall}); anything else is returned unchanged. */
export function fromNative(err: unknown, context: string): unknown {
  const e = err as { code?: unknown; errno?: unknown; syscall?: unknown; message?: unknown };
  if (err instanceof Error && typeof e.code === 'string' && typeof e.errno === 'number') {
    const syscall = typeof e.syscall === 'string' ? e.syscall : undefined;
    return new PacketSocketError(`${context}: ${err.message}`, e.code, e.errno, classifyErrorCode(e.code), syscall);
  }
  return err;
}

/** The kind of a PacketSocketError; undefined for any other error (callers need not duck-type). */
export function socketErrorKind(err: unknown): PacketSocketErrorKind | undefined {
  return err instanceof PacketSocketError ? err.kind : undefined;
}
