import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { validate } from '../../src/infra/json-schema.js';
import { natsServerBin, natsServerVersion, tempDir } from '../support/nats-harness.js';
import { freePorts } from '../support/ports.js';
import { fakeServer } from '../app/fake-binaries.js';
import { runCli } from '../support/cli-run.js';

interface Check {
  id: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  hint: string | null;
}
interface Doctor {
  ok: boolean;
  checks: Check[];
  resolution: { priority: string[]; attempts: Array<{ source: string; candidate: string | null; ok: boolean; reason: string }>; selected: { path: string; version: string } | null };
}

/** status/doctor without a running node (built CLI; no nats-server started here). */
describe('status and doctor without a running node', () => {
  let home: { path: string; remove: () => Promise<void> };
  let cwd: { path: string; remove: () => Promise<void> };
  let env: Record<string, string | undefined>;

  beforeAll(async () => {
    home = await tempDir('nbs-home-');
  });
  afterAll(async () => home.remove());
  beforeEach(async () => {
    cwd = await tempDir('nbs-cwd-');
    env = { PATH: process.env['PATH'], HOME: home.path };
    return () => cwd.remove();
  });

  async function configWithFreePorts(): Promise<string> {
    const [client, cluster, http] = await freePorts(3);
    const f = join(cwd.path, 'nats-config.json');
    await writeFile(f, JSON.stringify({ client_port: client, cluster_port: cluster, http_port: http, datafolder: 'node-a' }));
    return f;
  }

  it('status --json validates and reports the binary, config and a node that does not exist', async () => {
    const r = await runCli(['status', '--json'], { cwd: cwd.path, env });
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.schema_version).toBe(1);
    expect(s.binary).toEqual({ path: natsServerBin(), version: natsServerVersion(), source: 'path', version_warning: null });
    expect(s.config).toEqual({ path: null, source: 'none' });
    expect(s.node).toMatchObject({ datafolder: join(cwd.path, 'nats-bootstrap-data'), exists: false, running: false, pid: null, ports: { client: 4222, cluster: 6222, http: 8222 }, ports_source: 'default', pending_leave: null, left: null });
    expect(s.cluster).toBeNull();
  });

  it('status takes the data folder and ports from the config file; human output names them', async () => {
    const f = await configWithFreePorts();
    const r = await runCli(['status', '--json'], { cwd: cwd.path, env });
    const s = JSON.parse(r.stdout);
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.config).toEqual({ path: f, source: 'cwd' });
    expect(s.node.datafolder).toBe(join(cwd.path, 'node-a'));
    expect(s.node.ports_source).toBe('config');
    const h = await runCli(['status'], { cwd: cwd.path, env });
    expect(h.exitCode).toBe(0);
    expect(h.stdout).toMatch(new RegExp(`^binary: +${natsServerBin()} \\(v${natsServerVersion()}, from path\\)`, 'm'));
    expect(h.stdout).toMatch(new RegExp(`^config: +${f} \\(cwd\\)`, 'm'));
    expect(h.stdout).toMatch(/server: not running/);
  });

  it('status without a resolvable binary still prints the facts: binary null + attempts, exit 0', async () => {
    const r = await runCli(['status', '--json'], { cwd: cwd.path, env: { PATH: '', HOME: home.path } });
    expect(r.exitCode, r.stderr).toBe(0);
    const s = JSON.parse(r.stdout);
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.binary).toBeNull();
    expect(s.resolution.attempts.map((a: { source: string; reason: string }) => `${a.source}:${a.reason}`)).toEqual([
      'cli:not set',
      'config:not set',
      'env:not set',
      'bin-dir:not found',
      'path:not set',
    ]);
    const h = await runCli(['status'], { cwd: cwd.path, env: { PATH: '', HOME: home.path } });
    expect(h.stdout).toMatch(/nats-server not found; tried:/);
  });

  it('doctor exits 1 when the binary cannot be resolved (empty PATH, no flags); --json validates', async () => {
    const r = await runCli(['doctor', '--json'], { cwd: cwd.path, env: { PATH: '', HOME: home.path } });
    expect(r.exitCode, r.stderr).toBe(1);
    const d = JSON.parse(r.stdout) as Doctor;
    expect(validate('doctor.schema.json', d)).toEqual([]);
    expect(d.ok).toBe(false);
    expect(d.checks.find((c) => c.id === 'resolution')).toMatchObject({ status: 'fail', hint: expect.stringMatching(/nats-server-path/) });
    expect(d.resolution.priority).toEqual(['cli', 'config', 'env', 'bin-dir', 'path']);
    expect(d.resolution.selected).toBeNull();
    expect(d.resolution.attempts).toHaveLength(5);
    const h = await runCli(['doctor'], { cwd: cwd.path, env: { PATH: '', HOME: home.path } });
    expect(h.exitCode).toBe(1);
    expect(h.stdout).toMatch(/^fail +resolution +nats-server not found/m);
    expect(h.stdout).toMatch(/hint: install nats-server/);
  });

  it('doctor exits 0 when all is well (free ports from the config file); every check has ok/warn/fail', async () => {
    await configWithFreePorts();
    const r = await runCli(['doctor', '--json'], { cwd: cwd.path, env });
    const d = JSON.parse(r.stdout) as Doctor;
    expect(validate('doctor.schema.json', d)).toEqual([]);
    expect(r.exitCode, JSON.stringify(d.checks, null, 1)).toBe(0);
    expect(d.ok).toBe(true);
    expect(d.checks.map((c) => c.id)).toEqual(['resolution', 'version', 'config', 'node-state', 'pid', 'ports', 'datafolder', 'nats-cli']);
    expect(d.checks.filter((c) => c.status === 'fail')).toEqual([]);
    expect(d.checks.find((c) => c.id === 'ports')?.message).toMatch(/client \d+ free; cluster \d+ free; http \d+ free/);
    expect(d.checks.find((c) => c.id === 'version')).toMatchObject({ status: 'ok', message: expect.stringContaining(natsServerVersion()) });
    expect(d.resolution.selected).toMatchObject({ path: natsServerBin(), version: natsServerVersion() });
    // nats CLI: informational, never a fail
    expect(['ok', 'warn']).toContain(d.checks.find((c) => c.id === 'nats-cli')?.status);
  });

  it('doctor warns (not fails) on an old or unknown nats-server version; --nats-server-path wins', async () => {
    await configWithFreePorts();
    const old = await fakeServer(join(cwd.path, 'old'), '2.8.4');
    const broken = await fakeServer(join(cwd.path, 'broken'), '0', { exitCode: 3 });
    for (const [bin, pattern] of [
      [old, /2\.8\.4 is older than 2\.9\.0/],
      [broken, /version unknown: .*--version failed/],
    ] as const) {
      const r = await runCli(['doctor', '--json', '--nats-server-path', bin], { cwd: cwd.path, env });
      const d = JSON.parse(r.stdout) as Doctor;
      expect(validate('doctor.schema.json', d)).toEqual([]);
      expect(r.exitCode, JSON.stringify(d.checks)).toBe(0);
      expect(d.resolution.selected).toMatchObject({ path: bin, source: 'cli' });
      expect(d.checks.find((c) => c.id === 'version')).toMatchObject({ status: 'warn', message: expect.stringMatching(pattern) });
    }
  });

  it('doctor fails the ports check when another process holds a port', async () => {
    const [port] = await freePorts(1);
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(port, '127.0.0.1', () => r()));
    try {
      const [cluster, http] = await freePorts(2);
      await writeFile(join(cwd.path, 'nats-config.json'), JSON.stringify({ client_port: port, cluster_port: cluster, http_port: http }));
      const r = await runCli(['doctor', '--json'], { cwd: cwd.path, env });
      expect(r.exitCode).toBe(1);
      const d = JSON.parse(r.stdout) as Doctor;
      expect(validate('doctor.schema.json', d)).toEqual([]);
      expect(d.checks.find((c) => c.id === 'ports')).toMatchObject({ status: 'fail', message: expect.stringContaining(`client ${port} in use by another process`) });
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('doctor fails the datafolder check when the data folder is a file', async () => {
    await writeFile(join(cwd.path, 'afile'), 'x');
    await configWithFreePorts();
    const r = await runCli(['doctor', '--json', '--datafolder', 'afile'], { cwd: cwd.path, env });
    expect(r.exitCode).toBe(1);
    const d = JSON.parse(r.stdout) as Doctor;
    expect(d.checks.find((c) => c.id === 'datafolder')).toMatchObject({ status: 'fail', message: expect.stringMatching(/afile is not a folder/) });
  });

  it('doctor finds the nats CLI on PATH when present', async () => {
    await configWithFreePorts();
    const bin = join(cwd.path, 'bin');
    await mkdir(bin);
    await writeFile(join(bin, 'nats'), '#!/bin/sh\necho 0.1.0\n', { mode: 0o755 });
    const r = await runCli(['doctor', '--json'], { cwd: cwd.path, env: { ...env, PATH: `${bin}:${env['PATH']}` } });
    const d = JSON.parse(r.stdout) as Doctor;
    expect(d.checks.find((c) => c.id === 'nats-cli')).toMatchObject({ status: 'ok', message: expect.stringContaining(join(bin, 'nats')) });
  });

  it('status and doctor report a stale pid file (a pid that is not a running nats-server)', async () => {
    await configWithFreePorts();
    const folder = join(cwd.path, 'node-a');
    await mkdir(folder);
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    for (const pid of [gone, String(process.pid)]) {
      // a dead pid, and a live pid of another program (pid reuse)
      await writeFile(join(folder, 'nats-server.pid'), `${pid}\n`);
      const s = JSON.parse((await runCli(['status', '--json'], { cwd: cwd.path, env })).stdout);
      expect(validate('status.schema.json', s)).toEqual([]);
      expect(s.node).toMatchObject({ exists: true, pid: Number(pid), running: false, stale_pid: true });
      const r = await runCli(['doctor', '--json'], { cwd: cwd.path, env });
      expect(r.exitCode).toBe(0);
      const d = JSON.parse(r.stdout) as Doctor;
      expect(d.checks.find((c) => c.id === 'pid')).toMatchObject({ status: 'warn', message: expect.stringMatching(/stale pid file/), hint: expect.stringContaining('nats-server.pid') });
    }
  });

  it('status shows the left marker and a pending leave; doctor warns about them', async () => {
    await configWithFreePorts();
    const folder = join(cwd.path, 'node-a');
    await mkdir(folder);
    const now = new Date().toISOString();
    const state = {
      schema_version: 1,
      server_name: 'n-left',
      cluster: 'c1',
      mode: 'bootstrap',
      ports: { client: 14222, cluster: 16222, http: 18222 },
      seeds: ['a', 'b'],
      bundle: null,
      created_at: now,
      updated_at: now,
      left: { at: now, request_id: 'req-1', result: 'removed' },
    };
    await writeFile(join(folder, 'state.json'), JSON.stringify(state));
    await writeFile(join(folder, 'leave-request.json'), JSON.stringify({ request_id: 'req-2' }));
    const s = JSON.parse((await runCli(['status', '--json'], { cwd: cwd.path, env })).stdout);
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.node).toMatchObject({ server_name: 'n-left', cluster: 'c1', ports_source: 'state', ports: state.ports, left: state.left });
    expect(s.node.pending_leave).toMatchObject({ file: join(folder, 'leave-request.json'), request_id: 'req-2' });
    const d = JSON.parse((await runCli(['doctor', '--json'], { cwd: cwd.path, env })).stdout) as Doctor;
    expect(d.checks.find((c) => c.id === 'node-state')).toMatchObject({ status: 'warn', hint: expect.stringContaining('--rejoin') });
    const h = await runCli(['status'], { cwd: cwd.path, env });
    expect(h.stdout).toMatch(/left: +.*req-1/);
  });

  it('doctor fails node-state on an unreadable state.json', async () => {
    await configWithFreePorts();
    await mkdir(join(cwd.path, 'node-a'));
    await writeFile(join(cwd.path, 'node-a', 'state.json'), '{not json');
    const r = await runCli(['doctor', '--json'], { cwd: cwd.path, env });
    expect(r.exitCode).toBe(1);
    const d = JSON.parse(r.stdout) as Doctor;
    expect(d.checks.find((c) => c.id === 'node-state')?.status).toBe('fail');
    const s = JSON.parse((await runCli(['status', '--json'], { cwd: cwd.path, env })).stdout);
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.node.state_error).toMatch(/state\.json/);
  });
});
