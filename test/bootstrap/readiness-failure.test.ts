/**
 * up --detach that cannot become ready: exit 1 (ERR-BOOT-0005) with a diagnosis and the log tail,
 * and the half-started nats-server is stopped.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isProcessAlive } from '../../src/infra/process-check.js';
import { tempDir } from '../support/nats-harness.js';
import { freePorts } from '../support/ports.js';
import { NodeTracker, cliEnv } from './cli-nodes.js';
import { runCli } from '../support/cli-run.js';

const tracker = new NodeTracker();
let root: { path: string; remove: () => Promise<void> };
let env: Record<string, string>;
let blocker: Server | undefined;

beforeAll(async () => {
  root = await tempDir('nbs-notready-');
  env = cliEnv(root.path);
  // A short readiness timeout for these tests (config file in the working folder).
  writeFileSync(join(root.path, 'nats-config.json'), JSON.stringify({ ready_timeout_s: 3 }));
});

afterAll(async () => {
  blocker?.close();
  await tracker.killNodes();
  await root.remove();
});

function startedPid(stderr: string): number {
  return Number(/started nats-server (\d+)/.exec(stderr)?.[1]);
}

describe('up --detach that does not become ready', () => {
  it('port in use: diagnosis names the port; nothing keeps running', async () => {
    const [c, k, h] = await freePorts(3);
    blocker = createServer();
    await new Promise<void>((r) => blocker!.listen(c, '0.0.0.0', () => r()));
    const df = tracker.add(join(root.path, 'busy'));
    const r = await runCli(['up', '--cluster', 'x', '--seed', `127.0.0.1:${k}`, '--server-name', 'busy', '--datafolder', df, '--client-port', String(c), '--cluster-port', String(k), '--http-port', String(h), '--detach'], { cwd: root.path, env });
    expect(r.exitCode).toBe(1);
    expect(r.errLines[1]).toMatch(/^error\[ERR-BOOT-0005\]: busy did not become ready \(nats-server exited\)/);
    expect(r.stderr).toContain(`diagnosis: port in use: 0.0.0.0:${c}`);
    expect(r.stderr).toContain('log tail');
    expect(existsSync(join(df, 'nats-server.pid'))).toBe(false);
    expect(await isProcessAlive(startedPid(r.stderr), 'nats-server')).toBe(false);
    // The config and state stay (the server name is chosen once).
    expect(JSON.parse(readFileSync(join(df, 'state.json'), 'utf8')).server_name).toBe('busy');
  });

  it('first boot alone: no meta leader yet, the other seeds refuse; the process is stopped', async () => {
    const [c, k, h, k2, k3] = await freePorts(5);
    const df = tracker.add(join(root.path, 'alone'));
    const seeds = [k, k2, k3].flatMap((p) => ['--seed', `127.0.0.1:${p}`]);
    const r = await runCli(['up', '--cluster', 'x', ...seeds, '--server-name', 'alone', '--datafolder', df, '--client-port', String(c), '--cluster-port', String(k), '--http-port', String(h), '--detach', '--json'], {
      cwd: root.path,
      env,
    });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/error\[ERR-BOOT-0005\]: alone did not become ready \(not ready after 3 s\)/);
    expect(r.stderr).toContain(`diagnosis: route refused by 127.0.0.1:${k2}`);
    expect(r.stderr).toContain('diagnosis: no JetStream meta leader yet');
    const j = JSON.parse(r.stdout) as { ok: boolean; error: { id: string; data: { diagnosis: Array<{ kind: string }> } } };
    expect(j.ok).toBe(false);
    expect(j.error.id).toBe('ERR-BOOT-0005');
    expect(j.error.data.diagnosis.map((d) => d.kind)).toEqual(expect.arrayContaining(['route-refused', 'no-meta-leader']));
    expect(await isProcessAlive(startedPid(r.stderr), 'nats-server')).toBe(false);
  });
});
