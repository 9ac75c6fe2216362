/**
 * The exporter-toolkit web configuration file (--web.config.file), as Prometheus exporters read it:
 *
 *   tls_server_config:
 *     cert_file: server.crt          # relative paths are relative to this file
 *     key_file: server.key
 *     client_ca_file: ca.crt         # optional
 *     client_auth_type: RequireAndVerifyClientCert   # NoClientCert (default), RequestClientCert,
 *                                    # RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert
 *     min_version: TLS12             # TLS10..TLS13 (default TLS12); max_version likewise
 *   http_server_config:
 *     headers: { Strict-Transport-Security: max-age=31536000 }   # http2 is accepted and ignored
 *   basic_auth_users:
 *     prometheus: $2y$10$...         # bcrypt hash (htpasswd -nBC 10 "" | tr -d ':\n')
 *
 * This module parses and checks the text (pure); web-config-load.ts reads the files.
 */
import { closest, describe } from '../config/checks.js';
import { isMapping, type At } from '../config/codecs.js';
import type { Issues } from '../config/errors.js';
import { readYaml } from '../config/yaml.js';

export const CLIENT_AUTH_TYPES = ['NoClientCert', 'RequestClientCert', 'RequireAnyClientCert', 'VerifyClientCertIfGiven', 'RequireAndVerifyClientCert'] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

export const TLS_VERSIONS = { TLS10: 'TLSv1', TLS11: 'TLSv1.1', TLS12: 'TLSv1.2', TLS13: 'TLSv1.3' } as const;
export type TlsVersionName = keyof typeof TLS_VERSIONS;
export type NodeTlsVersion = (typeof TLS_VERSIONS)[TlsVersionName];

/** Response headers exporter-toolkit lets a web config set. */
export const ALLOWED_HEADERS = ['Strict-Transport-Security', 'X-Content-Type-Options', 'X-Frame-Options', 'X-XSS-Protection', 'Content-Security-Policy'];

const TOP_KEYS = ['tls_server_config', 'http_server_config', 'basic_auth_users'];
const TLS_KEYS = ['cert_file', 'key_file', 'client_ca_file', 'client_auth_type', 'min_version', 'max_version'];
const HTTP_KEYS = ['headers', 'http2'];
/** exporter-toolkit settings dupip does not implement: refused rather than silently ignored. */
const UNSUPPORTED: Record<string, string[]> = {
  '': ['rate_limit'],
  tls_server_config: ['cert', 'key', 'client_ca', 'cipher_suites', 'curve_preferences', 'prefer_server_cipher_suites', 'client_allowed_sans'],
};

/** bcrypt in modular crypt format ($2a$, $2b$ or $2y$, cost 04-31). */
const BCRYPT = /^\$2[aby]\$(0[4-9]|[12]\d|3[01])\$[./A-Za-z0-9]{53}$/;

export interface WebTlsSpec {
  certFile: string;
  keyFile: string;
  clientCaFile?: string;
  clientAuthType: ClientAuthType;
  minVersion: NodeTlsVersion;
  maxVersion?: NodeTlsVersion;
}

export interface WebConfigSpec {
  tls: WebTlsSpec | null;
  /** user → bcrypt hash; empty: no authentication. */
  users: Map<string, string>;
  headers: Record<string, string>;
}

/**
 * Parses the text of `file`. Paths are returned as written (resolve them against the file's
 * directory). Every problem goes to `issues`, named by file and field.
 */
export function parseWebConfig(text: string, file: string, issues: Issues): WebConfigSpec {
  const spec: WebConfigSpec = { tls: null, users: new Map(), headers: {} };
  const yaml = readYaml(text, file, issues, 'expected a mapping (tls_server_config, http_server_config, basic_auth_users), got');
  if (!yaml) return spec;
  const { data, at } = yaml;
  const problem: Problem = (path, what, ofKey) => at.problem(path, what, ofKey);
  const keys: Keys = (obj, allowed, prefix) => {
    for (const k of Object.keys(obj)) {
      if (allowed.includes(k)) continue;
      const path = prefix ? [prefix, k] : [k];
      if (UNSUPPORTED[prefix]?.includes(k)) problem(path, 'this exporter-toolkit setting is not supported by dupip', true);
      else {
        const guess = closest(k, allowed);
        problem(path, `unknown field${guess ? `; did you mean ${JSON.stringify(guess)}?` : ` (known: ${allowed.join(', ')})`}`, true);
      }
    }
  };
  keys(data, TOP_KEYS, '');

  const tls = data.tls_server_config;
  if (tls !== undefined && tls !== null) {
    if (!isMapping(tls)) problem(['tls_server_config'], `expected a mapping, got ${describe(tls)}`);
    else if (Object.keys(tls).length > 0) spec.tls = parseTls(tls, problem, keys);
  }

  const http = data.http_server_config;
  if (http !== undefined && http !== null) {
    if (!isMapping(http)) problem(['http_server_config'], `expected a mapping, got ${describe(http)}`);
    else {
      keys(http, HTTP_KEYS, 'http_server_config');
      if (http.http2 !== undefined && typeof http.http2 !== 'boolean') problem(['http_server_config', 'http2'], `expected true or false, got ${describe(http.http2)}`);
      spec.headers = parseHeaders(http.headers, problem);
    }
  }

  const users = data.basic_auth_users;
  if (users !== undefined && users !== null) {
    if (!isMapping(users)) problem(['basic_auth_users'], `expected a mapping of user names to bcrypt hashes, got ${describe(users)}`);
    else {
      for (const [user, hash] of Object.entries(users)) {
        const field = ['basic_auth_users', user];
        if (user === '' || user.includes(':')) problem(field, 'a user name must be non-empty and contain no ":"');
        else if (typeof hash !== 'string' || !BCRYPT.test(hash)) {
          problem(field, `expected a bcrypt hash ("$2y$10$" followed by 53 characters, e.g. from htpasswd -nBC 10 ""), got ${typeof hash === 'string' ? 'a string that is not one (not shown: it may be a password)' : describe(hash)}`);
        } else spec.users.set(user, hash);
      }
    }
  }
  return spec;
}

type Problem = At['problem'];
type Keys = (o: Record<string, unknown>, allowed: string[], prefix: string) => void;

function parseTls(tls: Record<string, unknown>, problem: Problem, keys: Keys): WebTlsSpec | null {
  keys(tls, TLS_KEYS, 'tls_server_config');
  const str = (k: string, required: boolean): string | undefined => {
    const v = tls[k];
    if (v === undefined || v === null || v === '') {
      if (required) problem(['tls_server_config', k], 'missing: TLS needs both cert_file and key_file');
      return undefined;
    }
    if (typeof v !== 'string') {
      problem(['tls_server_config', k], `expected a file path, got ${describe(v)}`);
      return undefined;
    }
    return v;
  };
  const certFile = str('cert_file', true);
  const keyFile = str('key_file', true);
  const clientCaFile = str('client_ca_file', false);
  let clientAuthType: ClientAuthType = 'NoClientCert';
  const cat = tls.client_auth_type;
  if (cat !== undefined && cat !== null && cat !== '') {
    if (typeof cat === 'string' && (CLIENT_AUTH_TYPES as readonly string[]).includes(cat)) clientAuthType = cat as ClientAuthType;
    else {
      const guess = typeof cat === 'string' ? closest(cat, CLIENT_AUTH_TYPES) : null;
      problem(['tls_server_config', 'client_auth_type'], `${describe(cat)} is not one of ${CLIENT_AUTH_TYPES.join(', ')}${guess ? `; did you mean ${JSON.stringify(guess)}?` : ''}`);
    }
  }
  if (clientCaFile && clientAuthType === 'NoClientCert') {
    problem(['tls_server_config', 'client_auth_type'], 'client_ca_file is set but client_auth_type is NoClientCert: set a client auth type (e.g. RequireAndVerifyClientCert)');
  }
  if (!clientCaFile && (clientAuthType === 'VerifyClientCertIfGiven' || clientAuthType === 'RequireAndVerifyClientCert')) {
    problem(['tls_server_config', 'client_ca_file'], `missing: client_auth_type ${clientAuthType} verifies client certificates against it`);
  }
  const version = (k: 'min_version' | 'max_version'): NodeTlsVersion | undefined => {
    const v = tls[k];
    if (v === undefined || v === null || v === '') return undefined;
    if (typeof v === 'string' && v in TLS_VERSIONS) return TLS_VERSIONS[v as TlsVersionName];
    problem(['tls_server_config', k], `${describe(v)} is not one of ${Object.keys(TLS_VERSIONS).join(', ')}`);
    return undefined;
  };
  const minVersion = version('min_version') ?? 'TLSv1.2';
  const maxVersion = version('max_version');
  if (maxVersion && maxVersion < minVersion) problem(['tls_server_config', 'max_version'], `is below min_version`);
  if (!certFile || !keyFile) return null;
  return { certFile, keyFile, clientAuthType, minVersion, ...(clientCaFile ? { clientCaFile } : {}), ...(maxVersion ? { maxVersion } : {}) };
}

function parseHeaders(raw: unknown, problem: Problem): Record<string, string> {
  const out: Record<string, string> = {};
  if (raw === undefined || raw === null) return out;
  if (!isMapping(raw)) {
    problem(['http_server_config', 'headers'], `expected a mapping of header names to values, got ${describe(raw)}`);
    return out;
  }
  for (const [name, value] of Object.entries(raw)) {
    const field = ['http_server_config', 'headers', name];
    const allowed = ALLOWED_HEADERS.find((h) => h.toLowerCase() === name.toLowerCase());
    if (!allowed) problem(field, `header not allowed (allowed: ${ALLOWED_HEADERS.join(', ')})`);
    else if (typeof value !== 'string' || /[\r\n]/.test(value)) problem(field, 'expected a single-line string');
    else out[allowed] = value;
  }
  return out;
}
