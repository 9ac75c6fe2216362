/** The control socket as a daemon observer: answers `status` from the view and the journal. */
import type { DaemonView, Observer } from '../daemon/observer.js';
import type { Journal } from '../journal/journal.js';
import { buildStatus } from './report.js';
import { type ControlLimits, startControlServer } from './server.js';

export async function controlObserver(path: string, journal: Journal | null, version: string, onError: (err: Error) => void, limits: ControlLimits = {}): Promise<Observer> {
  let view: DaemonView | null = null;
  const server = await startControlServer(
    path,
    () => {
      if (!view) return { error: 'the daemon is starting' };
      const now = Date.now();
      return buildStatus(view, journal?.episodes() ?? [], {
        version,
        pid: process.pid,
        now,
        tzOffsetMinutes: -new Date(now).getTimezoneOffset(),
        journal: journal
          ? { path: journal.path, corruptLines: journal.corruptLines, readErrors: journal.readErrors, writeErrors: journal.writeErrors, off: journal.off }
          : null,
      });
    },
    onError,
    limits,
  );
  return {
    attach(v) {
      view = v;
    },
    close: () => server.close(),
  };
}
