/**
 * The BOSH job templates, rendered by test/bosh/render.rb (Ruby's standard library ERB, as the
 * Director renders them): with the spec defaults and with every property set; the rendered bpm.yml
 * grants exactly NET_RAW; the rendered configuration is accepted by `dupip daemon --check-config`
 * (at the paths BOSH uses, through the job's own pre-start script) and a broken property set is
 * refused with exit 78 naming the field; the alert and dashboard jobs ship byte-identical copies of
 * alerts/ and dashboards/.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import bcrypt from 'bcryptjs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { monitProcesses, readYaml, type JobSpec } from '../bosh/release-check.js';
import { RELEASE, REPO, removeRenderOutput, render, scratch } from '../bosh/harness.js';
import { prereqs, requireBuild, requireRoot, requireTool } from '../support/prereq.js';
import { makeCerts } from '../support/tls.js';

const needRuby = prereqs(requireTool('ruby'));
const needCheck = prereqs(requireTool('ruby'), requireBuild());
const needPaths = prereqs(requireTool('ruby'), requireBuild(), requireRoot(), requireTool('unshare'), requireTool('openssl'));

const JOB = join(RELEASE, 'jobs', 'dupip');
const BIN = join(REPO, 'bin', 'dupip');
const cleanups: Array<() => void> = [];
afterAll(() => {
  cleanups.forEach((c) => c());
  removeRenderOutput();
});

function tmp(prefix: string): string {
  const s = scratch(prefix);
  cleanups.push(s.remove);
  return s.dir;
}

const spec = () => readYaml<JobSpec>(join(JOB, 'spec'));

/** Every property declared in the spec, set to a non-default value (TLS and auth included). */
function fullProperties(tls: { cert: string; key: string; ca: string }) {
  return {
    dupip: {
      interfaces: ['eth0', 'eth1'],
      exclude_interfaces: ['docker0', 'veth*'],
      own_addresses: true,
      ipv6: false,
      ipv6_link_local: true,
      ipv6_temporary: true,
      ipv6_deprecated: true,
      exclude_addresses: ['192.0.2.250', '203.0.113.0/24'],
      delegates: [
        { address: '198.51.100.10', interface: 'eth0', allowed_macs: ['02:00:00:00:0a:01', '02:00:00:00:0a:02'] },
        { address: '198.51.100.11' },
        { address: '2001:db8::10', interface: 'eth1' },
      ],
      ignore_macs: ['02:00:00:00:00:fe'],
      proxy_canary: ['198.51.100.254'],
      proxy_threshold: 6,
      proxied_network: ['eth1'],
      probe_interval: '5s',
      announce_interval: 0,
      defend: 'never',
      clear_after: 5,
      max_send_rate: 20,
      log_level: 'debug',
      notify: { command: ['/var/vcap/jobs/notifier/bin/notify', '--json'], timeout: '30s' },
      web: {
        listen_address: '::',
        port: 10228,
        max_connections: 32,
        tls: { certificate: tls.cert, private_key: tls.key, client_ca: tls.ca },
        basic_auth_users: { prometheus: bcrypt.hashSync('secret', 4), grafana: bcrypt.hashSync('other', 4) },
      },
      limits: { memory: '512M', open_files: 8192, processes: 128 },
    },
  };
}

/** Dotted names of the leaves of a manifest property tree, stopping at declared names. */
function givenNames(value: unknown, declared: string[], path: string[] = []): string[] {
  const name = path.join('.');
  if (declared.includes(name)) return [name];
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    return Object.entries(value).flatMap(([k, v]) => givenNames(v, declared, [...path, k]));
  }
  return [name];
}

function dummyTls() {
  return {
    cert: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
    key: '-----BEGIN PRIVATE KEY-----\nMIIB\n-----END PRIVATE KEY-----\n',
    ca: '-----BEGIN CERTIFICATE-----\nMIIC\n-----END CERTIFICATE-----\n',
  };
}

interface Bpm {
  processes: Array<Record<string, unknown> & { name: string; executable: string; args: string[]; capabilities: string[]; limits: Record<string, unknown> }>;
}

function deepKeys(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(deepKeys);
  if (v && typeof v === 'object') return Object.entries(v).flatMap(([k, x]) => [k, ...deepKeys(x)]);
  return [];
}

/** The command line of the rendered pre-start (after `exec`, continuation lines joined). */
function preStartCommand(text: string): string[] {
  const joined = text.replace(/\\\n\s*/g, ' ');
  const line = joined.split('\n').find((l) => l.startsWith('exec '));
  if (!line) throw new Error(`no exec line in pre-start:\n${text}`);
  return line.trim().split(/\s+/).slice(1);
}

function checkBpm(text: string) {
  const bpm = parse(text) as Bpm;
  expect(bpm.processes).toHaveLength(1);
  const [proc] = bpm.processes;
  expect(proc!.name).toBe('dupip');
  expect(proc!.capabilities).toEqual(['NET_RAW']);
  expect(deepKeys(bpm)).not.toContain('privileged');
  expect(deepKeys(bpm)).not.toContain('unsafe');
  expect(proc!.persistent_disk ?? false).toBe(false);
  expect(proc!.ephemeral_disk).toBe(true);
  expect(Object.keys(proc!.limits).sort()).toEqual(['memory', 'open_files', 'processes']);
  expect(Object.keys(proc!.env as object)).toEqual(['NODE_OPTIONS', 'MALLOC_ARENA_MAX']);
  expect(proc!.executable).toBe('/var/vcap/packages/dupip/bin/dupip');
  const args = proc!.args;
  expect(args[0]).toBe('daemon');
  const flag = (f: string) => args[args.indexOf(f) + 1];
  expect(flag('--config')).toBe('/var/vcap/jobs/dupip/config/dupip.yml');
  expect(flag('--state-dir')).toMatch(/^\/var\/vcap\/data\/dupip(\/|$)/);
  expect(flag('--control-socket')).toMatch(/^\/var\/vcap\/data\/dupip\/.*\.sock$/);
  return proc!;
}

describe.skipIf(needRuby.skip)(needRuby.title('BOSH templates rendered with ERB'), () => {
  it('the harness applies spec defaults, p() defaults and if_p, and refuses undeclared properties', () => {
    const dir = tmp('dupip-bosh-harness-');
    mkdirSync(join(dir, 'templates'));
    writeFileSync(
      join(dir, 'spec'),
      `---\nname: demo\ntemplates:\n  t.erb: out/t.txt\npackages: []\nproperties:\n  demo.a:\n    description: a\n    default: 1\n  demo.b.c:\n    description: c\n  demo.d:\n    description: d\n    default: {x: 1}\n`,
    );
    writeFileSync(join(dir, 'monit'), '');
    writeFileSync(
      join(dir, 'templates', 't.erb'),
      `a=<%= p('demo.a') %> c=<%= p('demo.b.c', 'dflt') %> d=<%= p('demo.d').to_json %> <% if_p('demo.b.c') do |c| %>has c <%= c %><% end.else do %>no c<% end %> spec=<%= spec.job.name %>/<%= spec.index %>\n`,
    );
    expect(render(dir).files['out/t.txt']).toBe('a=1 c=dflt d={"x":1} no c spec=demo/0\n');
    expect(render(dir, { demo: { a: 2, b: { c: 'C' } } }).files['out/t.txt']).toBe('a=2 c=C d={"x":1} has c C spec=demo/0\n');
    // a manifest property the spec does not declare
    const typo = render(dir, { demo: { b: { cc: 1 } } });
    expect(typo.code).toBe(1);
    expect(typo.stderr).toContain('demo.b.cc is not declared');
    // p() on an undeclared name, even with a default
    writeFileSync(join(dir, 'templates', 't.erb'), `<%= p('demo.nope', 3) %>`);
    const undeclared = render(dir);
    expect(undeclared.code).toBe(1);
    expect(undeclared.stderr).toContain('demo.nope is not declared');
    // a declared property without default and not set
    writeFileSync(join(dir, 'templates', 't.erb'), `<%= p('demo.b.c') %>`);
    expect(render(dir).stderr).toContain("Can't find property 'demo.b.c'");
  });

  it('every template of every job renders with the spec defaults', () => {
    const jobs = readdirSync(join(RELEASE, 'jobs'));
    expect(jobs.sort()).toEqual(['dupip', 'dupip_alerts', 'dupip_dashboards']);
    for (const job of jobs) {
      const r = render(join(RELEASE, 'jobs', job));
      expect(r.stderr, job).toBe('');
      expect(r.code, job).toBe(0);
      const templates = Object.values(readYaml<JobSpec>(join(RELEASE, 'jobs', job, 'spec')).templates ?? {});
      expect(Object.keys(r.files).sort(), job).toEqual([...templates, 'monit'].sort());
      for (const [dest, text] of Object.entries(r.files)) expect(text, `${job}/${dest}`).not.toMatch(/<%|%>/);
    }
  });

  it('dupip with the defaults: the configuration of docs/config.md, plain HTTP on :10227', () => {
    const r = render(JOB);
    expect(r.code).toBe(0);
    expect(parse(r.files['config/dupip.yml']!)).toEqual({
      interfaces: [],
      exclude_interfaces: [],
      own_addresses: true,
      ipv6: true,
      ipv6_link_local: false,
      ipv6_temporary: false,
      ipv6_deprecated: false,
      exclude_addresses: [],
      delegates: [],
      ignore_macs: [],
      proxy_canary: [],
      proxy_threshold: 4,
      proxied_network: [],
      probe_interval: '10s',
      announce_interval: '60s',
      defend: 'once',
      clear_after: 3,
      max_send_rate: 50,
      web: { listen_addresses: [':10227'], max_connections: 64 },
      log_level: 'info',
    });
    expect(parse(r.files['config/web-config.yml']!)).toEqual({});
    const proc = checkBpm(r.files['config/bpm.yml']!);
    // The same limits as systemd/dupip.service (MemoryMax, LimitNOFILE, TasksMax).
    expect(proc.limits).toEqual({ memory: '256M', open_files: 4096, processes: 64 });
    // V8's old generation capped at 60% of the bpm memory limit
    expect(proc.env).toEqual({ NODE_OPTIONS: '--max-old-space-size=153', MALLOC_ARENA_MAX: '2' });
  });

  it('dupip with every property set: configuration, web config, TLS files and limits follow the properties', () => {
    const tls = dummyTls();
    const props = fullProperties(tls);
    const declared = Object.keys(spec().properties ?? {});
    expect(givenNames(props, declared).sort(), 'the full property set covers every declared property').toEqual([...declared].sort());
    const r = render(JOB, props);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(parse(r.files['config/dupip.yml']!)).toEqual({
      interfaces: ['eth0', 'eth1'],
      exclude_interfaces: ['docker0', 'veth*'],
      own_addresses: true,
      ipv6: false,
      ipv6_link_local: true,
      ipv6_temporary: true,
      ipv6_deprecated: true,
      exclude_addresses: ['192.0.2.250', '203.0.113.0/24'],
      delegates: props.dupip.delegates,
      ignore_macs: ['02:00:00:00:00:fe'],
      proxy_canary: ['198.51.100.254'],
      proxy_threshold: 6,
      proxied_network: ['eth1'],
      probe_interval: '5s',
      announce_interval: 0,
      defend: 'never',
      clear_after: 5,
      max_send_rate: 20,
      web: { listen_addresses: ['[::]:10228'], max_connections: 32, config_file: '/var/vcap/jobs/dupip/config/web-config.yml' },
      log_level: 'debug',
      notify: { command: ['/var/vcap/jobs/notifier/bin/notify', '--json'], timeout: '30s' },
    });
    expect(parse(r.files['config/web-config.yml']!)).toEqual({
      tls_server_config: {
        cert_file: '/var/vcap/jobs/dupip/config/tls/certificate.pem',
        key_file: '/var/vcap/jobs/dupip/config/tls/private-key.pem',
        client_ca_file: '/var/vcap/jobs/dupip/config/tls/client-ca.pem',
        client_auth_type: 'RequireAndVerifyClientCert',
      },
      basic_auth_users: props.dupip.web.basic_auth_users,
    });
    expect(r.files['config/tls/certificate.pem']!.trim()).toBe(tls.cert.trim());
    expect(r.files['config/tls/private-key.pem']!.trim()).toBe(tls.key.trim());
    expect(r.files['config/tls/client-ca.pem']!.trim()).toBe(tls.ca.trim());
    const proc = checkBpm(r.files['config/bpm.yml']!);
    expect(proc.limits).toEqual({ memory: '512M', open_files: 8192, processes: 128 });
    expect(proc.env).toEqual({ NODE_OPTIONS: '--max-old-space-size=307', MALLOC_ARENA_MAX: '2' });
  });

  it('dupip: basic auth without TLS, and a bracketed IPv6 or IPv4 listen address', () => {
    const users = { prometheus: bcrypt.hashSync('secret', 4) };
    const r = render(JOB, { dupip: { web: { listen_address: '[::1]', basic_auth_users: users } } });
    expect(r.code).toBe(0);
    expect(parse(r.files['config/dupip.yml']!).web).toEqual({ listen_addresses: ['[::1]:10227'], max_connections: 64, config_file: '/var/vcap/jobs/dupip/config/web-config.yml' });
    expect(parse(r.files['config/web-config.yml']!)).toEqual({ basic_auth_users: users });
    const v4 = render(JOB, { dupip: { web: { listen_address: '192.0.2.10', port: 9 } } });
    expect(parse(v4.files['config/dupip.yml']!).web).toEqual({ listen_addresses: ['192.0.2.10:9'], max_connections: 64 });
  });

  it('bpm.yml: exactly NET_RAW, no privileged mode; pre-start checks the configuration with the same flags', () => {
    for (const props of [undefined, fullProperties(dummyTls())]) {
      const r = render(JOB, props);
      const proc = checkBpm(r.files['config/bpm.yml']!);
      const pre = preStartCommand(r.files['bin/pre-start']!);
      expect(pre[0]).toBe(proc.executable);
      expect(pre.slice(1)).toEqual([proc.args[0], '--check-config', ...proc.args.slice(1)]);
      const status = preStartCommand(r.files['bin/status']!);
      expect(status.slice(0, 4)).toEqual([proc.executable, 'status', '--control-socket', proc.args[proc.args.indexOf('--control-socket') + 1]]);
    }
  });

  it('monit: the standard bpm monit file, process "dupip" (what bosh_exporter service discovery matches)', () => {
    const monit = render(JOB).files.monit!;
    expect(monitProcesses(monit)).toEqual(['dupip']);
    expect(monit).toBe(
      [
        'check process dupip',
        '  with pidfile /var/vcap/sys/run/bpm/dupip/dupip.pid',
        '  start program "/var/vcap/jobs/bpm/bin/bpm start dupip"',
        '  stop program "/var/vcap/jobs/bpm/bin/bpm stop dupip"',
        '  group vcap',
        '',
      ].join('\n'),
    );
    for (const job of ['dupip_alerts', 'dupip_dashboards']) expect(render(join(RELEASE, 'jobs', job)).files.monit, job).toBe('');
  });

  it('properties that cannot work fail the rendering, naming the property', () => {
    const tls = dummyTls();
    const cases: Array<[unknown, string]> = [
      [{ dupip: { web: { port: 70000 } } }, 'dupip.web.port'],
      [{ dupip: { web: { port: '10227' } } }, 'dupip.web.port'],
      [{ dupip: { web: { tls: { certificate: tls.cert } } } }, 'dupip.web.tls: certificate and private_key'],
      [{ dupip: { web: { tls: { client_ca: tls.ca } } } }, 'dupip.web.tls.client_ca'],
      [{ dupip: { web: { tls: { certificate: 'not a pem', private_key: tls.key } } } }, 'dupip.web.tls.certificate'],
      [{ dupip: { web: { basic_auth_users: { prometheus: 'plain-password' } } } }, 'dupip.web.basic_auth_users.prometheus'],
      [{ dupip: { web: { basic_auth_users: ['prometheus'] } } }, 'dupip.web.basic_auth_users'],
      [{ dupip: { limits: { memory: 'lots' } } }, 'dupip.limits.memory'],
      [{ dupip: { limits: { memory: '100M' } } }, 'dupip.limits.memory: 100M is too small'],
      [{ dupip: { limits: { open_files: 10 } } }, 'dupip.limits.open_files'],
      [{ dupip: { limits: { processes: 4 } } }, 'dupip.limits.processes'],
      [{ dupip: { limits: { processes: '64' } } }, 'dupip.limits.processes'],
      [{ dupip: { probe_intervall: '5s' } }, 'dupip.probe_intervall is not declared'],
    ];
    for (const [props, message] of cases) {
      const r = render(JOB, props);
      expect(r.code, JSON.stringify(props)).toBe(1);
      expect(r.stderr, JSON.stringify(props)).toContain(message);
    }
  });

  it('dupip_alerts and dupip_dashboards ship byte-identical copies of alerts/*.yml and dashboards/*.json', () => {
    const sync = spawnSync(join(RELEASE, 'scripts', 'sync-alerts-dashboards.sh'), ['--check'], { encoding: 'utf8' });
    expect(sync.stderr + sync.stdout, 'run bosh-release/scripts/sync-alerts-dashboards.sh').toBe('');
    expect(sync.status).toBe(0);
    for (const [job, dir, ext] of [
      ['dupip_alerts', 'alerts', '.yml'],
      ['dupip_dashboards', 'dashboards', '.json'],
    ] as const) {
      const sources = readdirSync(join(REPO, dir)).filter((f) => f.endsWith(ext));
      expect(sources.length, dir).toBeGreaterThan(0);
      const jobSpec = readYaml<JobSpec>(join(RELEASE, 'jobs', job, 'spec'));
      expect(jobSpec.packages).toEqual([]);
      expect(Object.keys(jobSpec.templates ?? {}).sort()).toEqual(sources.sort());
      const r = render(join(RELEASE, 'jobs', job));
      expect(r.code).toBe(0);
      for (const f of sources) expect(r.files[jobSpec.templates![f]!], `${job}: ${f}`).toBe(readFileSync(join(REPO, dir, f), 'utf8'));
    }
  });
});

describe.skipIf(needCheck.skip)(needCheck.title('rendered configuration and dupip daemon --check-config'), () => {
  /** --check-config on a rendered config, with the flags of the rendered bpm.yml. */
  function checkConfig(r: ReturnType<typeof render>) {
    const proc = checkBpm(r.files['config/bpm.yml']!);
    const args = proc.args.map((a) => (a === '/var/vcap/jobs/dupip/config/dupip.yml' ? join(r.dir, 'config', 'dupip.yml') : a));
    return spawnSync(process.execPath, [BIN, args[0]!, '--check-config', ...args.slice(1)], { encoding: 'utf8', timeout: 30_000 });
  }

  it('the configuration rendered from the defaults is accepted (exit 0)', () => {
    const c = checkConfig(render(JOB));
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect(c.stdout).toContain('configuration OK');
  });

  it('the configuration rendered from a broken property set is refused with exit 78, naming the fields', () => {
    const r = render(JOB, { dupip: { probe_interval: 'fast', delegates: [{ address: '198.51.100.300' }], defend: 'always' } });
    expect(r.code, 'values are left for dupip to check').toBe(0);
    const c = checkConfig(r);
    expect(c.status).toBe(78);
    expect(c.stderr).toContain('probe_interval');
    expect(c.stderr).toContain('delegates[0].address');
    expect(c.stderr).toContain('defend');
  });
});

describe.skipIf(needPaths.skip)(needPaths.title('the job pre-start at the paths BOSH uses (mount namespace)'), () => {
  /**
   * Runs the rendered bin/pre-start in a private mount namespace where /var is a fresh tmpfs holding
   * /var/vcap/jobs/dupip (the rendered job) and /var/vcap/packages/dupip/bin/dupip (this tree's CLI):
   * every absolute path of the templates is then the one the Director and bpm would use.
   */
  function preStart(rendered: string) {
    const script = `set -e
mount -t tmpfs tmpfs /var
mkdir -p /var/vcap/jobs/dupip /var/vcap/packages/dupip/bin /var/vcap/data/dupip
mount --bind "$1" /var/vcap/jobs/dupip
printf '#!/bin/sh\\nexec "%s" "%s" "$@"\\n' "$2" "$3" > /var/vcap/packages/dupip/bin/dupip
chmod 0755 /var/vcap/packages/dupip/bin/dupip
set +e
/var/vcap/jobs/dupip/bin/pre-start`;
    chmodSync(join(rendered, 'bin', 'pre-start'), 0o755);
    return spawnSync('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', script, 'sh', rendered, process.execPath, BIN], {
      encoding: 'utf8',
      timeout: 30_000,
    });
  }

  it('every property set, TLS with a client CA and basic auth: pre-start accepts it (exit 0)', () => {
    const certs = makeCerts(tmp('dupip-bosh-certs-'));
    const props = fullProperties({
      cert: readFileSync(certs.serverCert, 'utf8'),
      key: readFileSync(certs.serverKey, 'utf8'),
      ca: readFileSync(certs.caCert, 'utf8'),
    });
    const r = render(JOB, props);
    expect(r.code).toBe(0);
    const c = preStart(r.dir);
    expect(c.stderr).toBe('');
    expect(c.status).toBe(0);
    expect(c.stdout).toContain('/var/vcap/jobs/dupip/config/dupip.yml: configuration OK');
  });

  it('a private key that does not match the certificate: pre-start fails with exit 78', () => {
    const certs = makeCerts(tmp('dupip-bosh-certs-'));
    const r = render(JOB, {
      dupip: { web: { tls: { certificate: readFileSync(certs.serverCert, 'utf8'), private_key: readFileSync(certs.otherKey, 'utf8') } } },
    });
    expect(r.code).toBe(0);
    const c = preStart(r.dir);
    expect(c.status).toBe(78);
    expect(c.stderr).toContain('/var/vcap/jobs/dupip/config/web-config.yml');
  });
});
