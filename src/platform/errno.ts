/**
 * What an errno code means to the person reading a dupip message: one table for reading files,
 * connecting to and creating sockets, and listening. A context adds its hint (what to do about it).
 */
export type ErrnoContext = 'file' | 'connect' | 'listen' | 'socket';

const REASONS: Readonly<Record<string, string>> = {
  ENOENT: 'no such file',
  EACCES: 'permission denied',
  EPERM: 'permission denied',
  EISDIR: 'it is a directory',
  ENOTDIR: 'a part of the path is not a directory',
  ENAMETOOLONG: 'the path is too long',
  ELOOP: 'too many symbolic links',
  ECONNREFUSED: 'connection refused',
  ENOTSOCK: 'not a socket',
  ETIMEDOUT: 'no answer in time',
  EADDRINUSE: 'the address is already in use',
  EADDRNOTAVAIL: 'the address is not on this host',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

const HINTS: Readonly<Record<ErrnoContext, Readonly<Record<string, string>>>> = {
  file: {},
  socket: {},
  connect: {
    ENOENT: 'no such socket (is "dupip daemon" running? another path can be given with --control-socket)',
    EACCES: "permission denied (run as root or as a member of the socket's group)",
    EPERM: "permission denied (run as root or as a member of the socket's group)",
    ECONNREFUSED: 'connection refused (a stale socket: the daemon is not running)',
    ETIMEDOUT: 'no answer in time (the daemon is stuck or overloaded)',
  },
  listen: {
    EADDRINUSE: 'the address is already in use (another dupip or exporter?)',
    EACCES: 'permission denied (ports below 1024 need CAP_NET_BIND_SERVICE)',
  },
};

/** The reason for `code` in `context`, or `fallback` when the table does not know the code. */
export function errnoReason(code: string | undefined, context: ErrnoContext, fallback: string): string {
  if (code === undefined) return fallback;
  return HINTS[context][code] ?? REASONS[code] ?? fallback;
}

/** The reason an operation failed with `err` (its code, else its message). */
export function errorReason(err: unknown, context: ErrnoContext = 'file'): string {
  const code = (err as { code?: unknown } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  return errnoReason(typeof code === 'string' ? code : undefined, context, message);
}
