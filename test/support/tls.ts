/** Test certificates made with openssl: a CA, a server certificate (CN localhost, SAN 127.0.0.1) and a client certificate. */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TestCerts {
  dir: string;
  caCert: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** A second, unrelated key (does not match serverCert). */
  otherKey: string;
  read(path: string): Buffer;
}

function openssl(dir: string, args: string[]): void {
  const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
}

export function makeCerts(dir: string, sans = 'IP:127.0.0.1,DNS:localhost'): TestCerts {
  const key = (name: string) => openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', name]);
  key('ca.key');
  openssl(dir, ['req', '-x509', '-new', '-key', 'ca.key', '-subj', '/CN=dupip test CA', '-days', '2', '-out', 'ca.crt']);
  for (const who of ['server', 'client']) {
    key(`${who}.key`);
    openssl(dir, ['req', '-new', '-key', `${who}.key`, '-subj', `/CN=${who === 'server' ? 'localhost' : 'prometheus'}`, '-out', `${who}.csr`]);
    const ext = who === 'server' ? `subjectAltName=${sans}\n` : 'extendedKeyUsage=clientAuth\n';
    writeFileSync(join(dir, `${who}.ext`), ext);
    openssl(dir, ['x509', '-req', '-in', `${who}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', `${who}.ext`, '-out', `${who}.crt`]);
  }
  key('other.key');
  return {
    dir,
    caCert: join(dir, 'ca.crt'),
    serverCert: join(dir, 'server.crt'),
    serverKey: join(dir, 'server.key'),
    clientCert: join(dir, 'client.crt'),
    clientKey: join(dir, 'client.key'),
    otherKey: join(dir, 'other.key'),
    read: (p) => readFileSync(p),
  };
}
