/**
 * Picks up renewed TLS certificates without a restart (exporter-toolkit re-reads them too): when
 * the certificate, key or client CA file changes (mtime, size, inode), they are read again and, if
 * they make a valid TLS context, used for new connections. A broken renewal is logged and the
 * running certificate kept.
 */
import { readFileSync, statSync } from 'node:fs';
import { Issues } from '../config/errors.js';
import { type WebTls, checkTls } from './web-config-load.js';

export type ReloadResult = 'unchanged' | 'reloaded' | 'failed';

function stampOf(tls: WebTls): string {
  return [tls.certFile, tls.keyFile, tls.clientCaFile]
    .filter((f): f is string => f !== undefined)
    .map((f) => {
      try {
        const s = statSync(f);
        return `${s.ino}:${s.size}:${s.mtimeMs}`;
      } catch {
        return 'missing';
      }
    })
    .join('|');
}

export class TlsReloader {
  private stamp: string;

  constructor(
    private current: WebTls,
    private readonly configFile: string,
    private readonly apply: (tls: WebTls) => void,
    private readonly log: { info(msg: string): void; error(msg: string): void },
  ) {
    this.stamp = stampOf(current);
  }

  check(): ReloadResult {
    const stamp = stampOf(this.current);
    if (stamp === this.stamp) return 'unchanged';
    this.stamp = stamp; // a broken renewal is reported once, not at every check
    let next: WebTls;
    try {
      next = {
        ...this.current,
        cert: readFileSync(this.current.certFile),
        key: readFileSync(this.current.keyFile),
        ...(this.current.clientCaFile ? { ca: readFileSync(this.current.clientCaFile) } : {}),
      };
    } catch (err) {
      this.log.error(`TLS files changed but cannot be read, keeping the running certificate: ${(err as Error).message}`);
      return 'failed';
    }
    const issues = new Issues();
    checkTls(next, this.configFile, issues);
    if (!issues.empty) {
      this.log.error(`TLS files changed but are not usable, keeping the running certificate: ${issues.list.map((i) => i.text).join('; ')}`);
      return 'failed';
    }
    this.apply(next);
    this.current = next;
    this.log.info(`TLS certificate reloaded from ${next.certFile}`);
    return 'reloaded';
  }
}
