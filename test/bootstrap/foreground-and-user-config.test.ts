/**
 * up in the foreground (Ctrl-C = lame duck, exit with the server's code), a standalone node, and
 * a user-managed config (--nats-config) started and stopped through the data folder.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { monitorGet, tempDir, waitFor } from '../support/nats-harness.js';
import { freePorts } from '../support/ports.js';
import { NodeTracker, cliEnv } from './cli-nodes.js';
import { runCli, spawnCli } from '../support/cli-run.js';

const tracker = new NodeTracker();
let root: { path: string; remove: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  root = await tempDir('nbs-fg-');
  env = cliEnv(root.path);
});

afterAll(async () => {
  await tracker.killNodes();
  await root.remove();
});

describe('up in the foreground', () => {
  it('runs a standalone JetStream node attached; Ctrl-C stops it with lame duck; exit 0', async () => {
    const [c, k, h] = await freePorts(3);
    const df = tracker.add(join(root.path, 'fg'));
    const up = spawnCli(['up', '--datafolder', df, '--client-port', String(c), '--cluster-port', String(k), '--http-port', String(h), '--server-name', 'solo'], { cwd: root.path, env });
    const { child, exited } = up;
    /** stdout and stderr together (progress and the server log go to stderr). */
    const out = (): string => up.out() + up.err();
    try {
      await waitFor('ready line', async () => out().includes('ready: solo'), 30_000, 100);
      const varz = await monitorGet<{ server_name: string }>(h!, '/varz');
      expect(varz.server_name).toBe('solo');
      expect(existsSync(join(df, 'nats-server.pid'))).toBe(true);
      child.kill('SIGINT');
      expect(await exited, out()).toBe(0);
      expect(out()).toContain('stopping solo (lame duck');
      expect(out()).toContain('Entering lame duck mode');
      expect(out()).toMatch(/solo stopped \(nats-server exit code 0\)/);
      expect(existsSync(join(df, 'nats-server.pid'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });
});

describe('up --nats-config (user-managed config)', () => {
  it('runs the given config with our pid file; down stops it', async () => {
    const [c, h] = await freePorts(2);
    const conf = join(root.path, 'my.conf');
    writeFileSync(conf, `server_name: mine\nport: ${c}\nhttp_port: ${h}\njetstream { store_dir: "${join(root.path, 'mine-js')}" }\n`);
    const df = tracker.add(join(root.path, 'user'));
    const r = await runCli(['up', '--nats-config', conf, '--datafolder', df, '--detach', '--json'], { cwd: root.path, env });
    expect(r.exitCode, r.stderr).toBe(0);
    const j = r.json<{ status: string; mode: string; server_name: string; ports: { http: number } }>();
    expect(j.status).toBe('ready');
    expect(j.mode).toBe('user-config');
    expect(j.ports.http).toBe(h);
    expect(j.server_name).toBe('mine');
    expect(JSON.parse(readFileSync(join(df, 'state.json'), 'utf8')).nats_config).toBe(conf);
    const d = await runCli(['down', '--confirm', '--datafolder', df], { cwd: root.path, env });
    expect(d.exitCode, d.stderr).toBe(0);
    expect(d.stdout).toMatch(/stopped .* \(pid \d+, lame-duck\)/);
  });
});
