/**
 * Reads --web.config.file and the TLS files it names, and checks that they make a usable TLS
 * context. The one loader for `dupip daemon --check-config` and for startup: every problem is a
 * ConfigError (exit 78) naming the file and the field.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { ConfigError, Issues } from '../config/errors.js';
import { errorReason } from '../platform/errno.js';
import { tls as tlsModule } from './lazy-builtins.js';
import { type WebConfigSpec, type WebTlsSpec, parseWebConfig } from './web-config.js';

export interface WebTls extends WebTlsSpec {
  cert: Buffer;
  key: Buffer;
  ca?: Buffer;
}

export interface WebConfig extends Omit<WebConfigSpec, 'tls'> {
  /** The web config file, or null when there is none (plain HTTP, no authentication). */
  file: string | null;
  tls: WebTls | null;
}

export const PLAIN_WEB: WebConfig = { file: null, tls: null, users: new Map(), headers: {} };

export type ReadBytes = (path: string) => Buffer;

export function loadWebConfig(file: string | undefined, read: ReadBytes = (p) => readFileSync(p)): WebConfig {
  if (!file) return PLAIN_WEB;
  const issues = new Issues();
  let text: string;
  try {
    text = read(file).toString('utf8');
  } catch (err) {
    issues.add({ kind: 'file', file, field: '' }, `cannot read the web configuration: ${errorReason(err)}`);
    throw new ConfigError(issues.list);
  }
  const spec = parseWebConfig(text, file, issues);
  if (!issues.empty) throw new ConfigError(issues.list);
  if (!spec.tls) return { ...spec, file, tls: null };

  const base = dirname(file);
  const load = (field: string, path: string): Buffer | undefined => {
    const full = resolve(base, path);
    try {
      return read(full);
    } catch (err) {
      issues.add({ kind: 'file', file, field: `tls_server_config.${field}` }, `cannot read ${full}: ${errorReason(err)}`);
      return undefined;
    }
  };
  const t = spec.tls;
  const certFile = resolve(base, t.certFile);
  const keyFile = resolve(base, t.keyFile);
  const cert = load('cert_file', t.certFile);
  const key = load('key_file', t.keyFile);
  const ca = t.clientCaFile ? load('client_ca_file', t.clientCaFile) : undefined;
  if (!issues.empty) throw new ConfigError(issues.list);
  const tls: WebTls = { ...t, certFile, keyFile, cert: cert!, key: key!, ...(t.clientCaFile ? { clientCaFile: resolve(base, t.clientCaFile), ca: ca! } : {}) };
  checkTls(tls, file, issues);
  if (!issues.empty) throw new ConfigError(issues.list);
  return { ...spec, file, tls };
}

/** The certificate, key and CA must make a TLS context (PEM syntax, key matching the certificate). */
export function checkTls(tls: WebTls, file: string, issues: Issues): void {
  const { createSecureContext } = tlsModule();
  try {
    createSecureContext({ cert: tls.cert, key: tls.key, minVersion: tls.minVersion, ...(tls.maxVersion ? { maxVersion: tls.maxVersion } : {}) });
  } catch (err) {
    const field = /key/i.test((err as Error).message) ? 'key_file' : 'cert_file';
    issues.add({ kind: 'file', file, field: `tls_server_config.${field}` }, `${tls.certFile} and ${tls.keyFile} do not make a TLS certificate: ${(err as Error).message}`);
  }
  if (tls.ca) {
    try {
      createSecureContext({ ca: tls.ca });
      if (!/-----BEGIN CERTIFICATE-----/.test(tls.ca.toString('latin1'))) throw new Error('no PEM certificate found');
    } catch (err) {
      issues.add({ kind: 'file', file, field: 'tls_server_config.client_ca_file' }, `${tls.clientCaFile}: ${(err as Error).message}`);
    }
  }
}
