/**
 * The real daemon with an exporter-toolkit web config: HTTPS with basic auth (a scrape without
 * credentials is refused, one with them succeeds); an invalid web config refuses the start with
 * exit 78 and a message naming the file and the field.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Lab } from '../lab/lab.js';
import { DaemonProc } from '../support/daemon-proc.js';
import { BIN } from '../support/dupip.js';
import { labPrereqs, prereqs, requireBuild } from '../support/prereq.js';
import { fetchIn, metricsAddress } from '../support/scrape.js';
import { makeCerts, type TestCerts } from '../support/tls.js';

const lab = labPrereqs('curl', 'openssl');
const need = prereqs(lab.skip ? lab.reason! : null, requireBuild());
const A = '192.0.2.10';
const ARGS = ['--interface', 'eth0', '--probe-interval', '500ms', '--announce-interval', '0'];

describe.skipIf(need.skip)(need.title('TLS and basic auth on the real daemon'), () => {
  let dir: string;
  let certs: TestCerts;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'dupip-web-e2e-'));
    certs = makeCerts(dir);
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('over TLS: no credentials → 401, wrong ones → 401, right ones → 200 with the metrics', async () => {
    const web = join(dir, 'web.yml');
    writeFileSync(web, `tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\nbasic_auth_users:\n  prometheus: '${bcrypt.hashSync('s3cret', 10)}'\n`);
    await using l = await Lab.create({ hosts: 1 });
    const h0 = l.host(0);
    await h0.addAddress(`${A}/24`);
    const d = await DaemonProc.start(h0, [...ARGS, '--web.config.file', web]);
    try {
      const addr = await metricsAddress(d);
      const url = `https://${addr}/metrics`;
      const tls = ['--cacert', certs.caCert];
      const anonymous = await fetchIn(h0, url, tls);
      expect(anonymous.status).toBe(401);
      expect((await fetchIn(h0, url, [...tls, '-u', 'prometheus:wrong'])).status).toBe(401);
      const ok = await fetchIn(h0, url, [...tls, '-u', 'prometheus:s3cret']);
      expect(ok.status).toBe(200);
      expect(ok.body).toMatch(/^dupip_build_info\{version="0\.1\.0",node_version="v\d+/m);
      expect((await fetchIn(h0, `https://${addr}/healthz`, tls)).status).toBe(401);
      // Plain HTTP on the TLS port gets no metrics.
      const plain = await fetchIn(h0, `http://${addr}/metrics`).catch((e: Error) => ({ status: 0, body: e.message }));
      expect(plain.body).not.toMatch(/dupip_build_info/);
      expect(d.lines.find((x) => x.event === 'listening')).toMatchObject({ tls: true, basicAuth: true });
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
    }
  });

  it('an invalid web config or an unreadable TLS file: exit 78, naming the file and the field', async () => {
    await using l = await Lab.create({ hosts: 1 });
    const h0 = l.host(0);
    await h0.addAddress(`${A}/24`);
    const bad = join(dir, 'bad.yml');
    const cases: Array<[string, string]> = [
      ['tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: Always\n', `dupip: ${bad}: tls_server_config.client_auth_type: "Always" is not one of`],
      ['tls_server_config:\n  cert_file: missing.crt\n  key_file: server.key\n', `dupip: ${bad}: tls_server_config.cert_file: cannot read ${join(dir, 'missing.crt')}: no such file`],
      [`tls_server_config:\n  cert_file: server.crt\n  key_file: other.key\n`, `dupip: ${bad}: tls_server_config.key_file: `],
    ];
    for (const [yaml, message] of cases) {
      writeFileSync(bad, yaml);
      for (const extra of [['--check-config'], []]) {
        const state = mkdtempSync(join(tmpdir(), 'dupip-web-e2e-state-'));
        const r = await h0.exec(process.execPath, [BIN, 'daemon', ...ARGS, ...extra, '--state-dir', state, '--control-socket', join(state, 's.sock'), '--web.listen-address', '127.0.0.1:0', '--web.config.file', bad], { timeoutMs: 15_000 });
        rmSync(state, { recursive: true, force: true });
        expect(r.code, `${extra.join(' ')}: ${r.stderr}`).toBe(78);
        expect(r.stderr).toContain(message);
      }
    }
  });

  it('a listen address in use: exit 1 naming the address', async () => {
    await using l = await Lab.create({ hosts: 1 });
    const h0 = l.host(0);
    await h0.addAddress(`${A}/24`);
    const d = await DaemonProc.start(h0, ARGS);
    try {
      const addr = await metricsAddress(d);
      const state = mkdtempSync(join(tmpdir(), 'dupip-web-e2e-state-'));
      const r = await h0.exec(process.execPath, [BIN, 'daemon', ...ARGS, '--state-dir', state, '--control-socket', join(state, 's.sock'), '--web.listen-address', addr], { timeoutMs: 15_000 });
      rmSync(state, { recursive: true, force: true });
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`cannot listen on ${addr} (--web.listen-address): the address is already in use`);
    } finally {
      await d.stop();
      rmSync(d.stateDir, { recursive: true, force: true });
    }
  });
});
