import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, EX_CONFIG, Issues } from '../../src/config/errors.js';
import { parseWebConfig } from '../../src/web/web-config.js';
import { loadWebConfig } from '../../src/web/web-config-load.js';
import { requireTool } from '../support/prereq.js';
import { makeCerts, type TestCerts } from '../support/tls.js';

const FILE = '/etc/dupip/web.yml';
const HASH = bcrypt.hashSync('secret', 4);

function problems(text: string): string[] {
  const issues = new Issues();
  parseWebConfig(text, FILE, issues);
  return issues.list.map((i) => i.text);
}

describe('parseWebConfig', () => {
  it('reads the exporter-toolkit format', () => {
    const issues = new Issues();
    const spec = parseWebConfig(
      `tls_server_config:
  cert_file: server.crt
  key_file: /abs/server.key
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  min_version: TLS13
http_server_config:
  http2: true
  headers:
    strict-transport-security: max-age=31536000
basic_auth_users:
  prometheus: '${HASH}'
`,
      FILE,
      issues,
    );
    expect(issues.list).toEqual([]);
    expect(spec.tls).toEqual({ certFile: 'server.crt', keyFile: '/abs/server.key', clientCaFile: 'ca.crt', clientAuthType: 'RequireAndVerifyClientCert', minVersion: 'TLSv1.3' });
    expect(spec.users.get('prometheus')).toBe(HASH);
    expect(spec.headers).toEqual({ 'Strict-Transport-Security': 'max-age=31536000' });
  });

  it('an empty file or an empty tls_server_config means plain HTTP', () => {
    const issues = new Issues();
    expect(parseWebConfig('', FILE, issues)).toMatchObject({ tls: null });
    expect(parseWebConfig('tls_server_config: {}\n', FILE, issues)).toMatchObject({ tls: null });
    expect(issues.list).toEqual([]);
  });

  it('names the file and the field of every problem', () => {
    expect(
      problems(`tls_server_config:
  cert_file: a.crt
  client_auth_type: RequireAndVerifyClientCerts
  min_version: TLS1.2
  cipher_suites: [TLS_AES_128_GCM_SHA256]
basic_auth_users:
  alice: not-a-hash
  "bo:b": '${HASH}'
tls_config: {}
`),
    ).toEqual([
      `dupip: ${FILE}: tls_config: unknown field (known: tls_server_config, http_server_config, basic_auth_users)`,
      `dupip: ${FILE}: tls_server_config.cipher_suites: this exporter-toolkit setting is not supported by dupip`,
      `dupip: ${FILE}: tls_server_config.key_file: missing: TLS needs both cert_file and key_file`,
      `dupip: ${FILE}: tls_server_config.client_auth_type: "RequireAndVerifyClientCerts" is not one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert; did you mean "RequireAndVerifyClientCert"?`,
      `dupip: ${FILE}: tls_server_config.min_version: "TLS1.2" is not one of TLS10, TLS11, TLS12, TLS13`,
      `dupip: ${FILE}: basic_auth_users.alice: expected a bcrypt hash ("$2y$10$" followed by 53 characters, e.g. from htpasswd -nBC 10 ""), got a string that is not one (not shown: it may be a password)`,
      `dupip: ${FILE}: basic_auth_users.bo:b: a user name must be non-empty and contain no ":"`,
    ]);
  });

  it('refuses client CA and auth type that contradict each other, and disallowed headers', () => {
    expect(problems('tls_server_config: {cert_file: a, key_file: b, client_ca_file: c}\n')).toEqual([
      `dupip: ${FILE}: tls_server_config.client_auth_type: client_ca_file is set but client_auth_type is NoClientCert: set a client auth type (e.g. RequireAndVerifyClientCert)`,
    ]);
    expect(problems('tls_server_config: {cert_file: a, key_file: b, client_auth_type: VerifyClientCertIfGiven}\n')).toEqual([
      `dupip: ${FILE}: tls_server_config.client_ca_file: missing: client_auth_type VerifyClientCertIfGiven verifies client certificates against it`,
    ]);
    expect(problems('http_server_config: {headers: {Authorization: x}}\n')[0]).toMatch(/http_server_config\.headers\.Authorization: header not allowed/);
    expect(problems('- a\n')[0]).toMatch(/expected a mapping/);
    expect(problems('a: [\n')[0]).toMatch(/invalid YAML/);
  });

  it('names the line of each problem, like the configuration file', () => {
    const issues = new Issues();
    parseWebConfig('tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS9\nbasic_auth_users:\n  bob: plain\ncolour: red\n', FILE, issues);
    expect(issues.list.map((i) => [i.text, i.where.kind === 'file' ? i.where.line : null])).toEqual([
      [`dupip: ${FILE}: colour: unknown field (known: tls_server_config, http_server_config, basic_auth_users)`, 7],
      [`dupip: ${FILE}: tls_server_config.min_version: "TLS9" is not one of TLS10, TLS11, TLS12, TLS13`, 4],
      [expect.stringContaining(`dupip: ${FILE}: basic_auth_users.bob: expected a bcrypt hash`), 6],
    ]);
    const syntax = new Issues();
    parseWebConfig('a: [\n', FILE, syntax);
    expect(syntax.list[0]!.text).toMatch(new RegExp(`^dupip: ${FILE}: line \\d+, column \\d+: invalid YAML: `));
  });
});

const needOpenssl = requireTool('openssl');
describe.skipIf(needOpenssl)(`loadWebConfig${needOpenssl ? ` [skipped: ${needOpenssl}]` : ''}`, () => {
  let dir: string;
  let certs: TestCerts;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dupip-webcfg-'));
    certs = makeCerts(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const write = (text: string) => {
    const f = join(dir, 'web.yml');
    writeFileSync(f, text);
    return f;
  };
  const error = (f: () => unknown): ConfigError => {
    try {
      f();
    } catch (e) {
      if (e instanceof ConfigError) return e;
      throw e;
    }
    throw new Error('no ConfigError');
  };

  it('no file: plain HTTP', () => {
    expect(loadWebConfig(undefined)).toMatchObject({ file: null, tls: null });
  });

  it('loads TLS material with paths relative to the web config file', () => {
    const f = write('tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n  client_auth_type: RequireAndVerifyClientCert\n');
    const w = loadWebConfig(f);
    expect(w.tls?.certFile).toBe(certs.serverCert);
    expect(w.tls?.cert.toString()).toMatch(/BEGIN CERTIFICATE/);
    expect(w.tls?.ca).toBeDefined();
  });

  it('a missing web config or TLS file is a ConfigError (exit 78) naming the file and the field', () => {
    const e1 = error(() => loadWebConfig(join(dir, 'nope.yml')));
    expect(e1.exitCode).toBe(EX_CONFIG);
    expect(e1.message).toBe(`dupip: ${join(dir, 'nope.yml')}: cannot read the web configuration: no such file`);
    const f = write('tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n');
    expect(error(() => loadWebConfig(f)).message).toBe(`dupip: ${f}: tls_server_config.cert_file: cannot read ${join(dir, 'missing.crt')}: no such file`);
  });

  it('a key that does not match the certificate is refused at load', () => {
    const f = write(`tls_server_config:\n  cert_file: server.crt\n  key_file: ${certs.otherKey}\n`);
    expect(error(() => loadWebConfig(f)).message).toMatch(new RegExp(`^dupip: ${f}: tls_server_config\\.key_file: .* do not make a TLS certificate: .*key values mismatch`));
  });
});
