/**
 * The left marker (set by `leave`): a plain up refuses (exit 3); up --rejoin wipes the stale
 * JetStream state, clears the marker and — on servers older than 2.11.2 — uses a new name.
 * (The end-to-end leave/rejoin through the controller is tested with the control plane.)
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsServerVersion, tempDir } from '../support/nats-harness.js';
import { freePorts } from '../support/ports.js';
import { versionAtLeast } from '../../src/domain/binary-resolution.js';
import { NodeTracker, cliEnv } from './cli-nodes.js';
import { runCli } from '../support/cli-run.js';

const tracker = new NodeTracker();
let root: { path: string; remove: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  root = await tempDir('nbs-rejoin-');
  env = cliEnv(root.path);
});

afterAll(async () => {
  await tracker.killNodes();
  await root.remove();
});

describe('left marker and up --rejoin', () => {
  it('refuses a plain up, then rejoins as a fresh member', async () => {
    const df = tracker.add(join(root.path, 'node'));
    const [c, k, h] = await freePorts(3);
    const args = ['up', '--server-name', 's1', '--datafolder', df, '--client-port', String(c), '--cluster-port', String(k), '--http-port', String(h), '--detach', '--json'];
    const first = await runCli(args, { cwd: root.path, env });
    expect(first.exitCode, first.stderr).toBe(0);
    expect((await runCli(['down', '--confirm', '--now', '--datafolder', df], { cwd: root.path, env })).exitCode).toBe(0);

    // What leave leaves behind: the marker in state.json, and stale JetStream state.
    const statePath = join(df, 'state.json');
    const state = JSON.parse(readFileSync(statePath, 'utf8')) as Record<string, unknown>;
    writeFileSync(statePath, JSON.stringify({ ...state, left: { at: '2026-01-01T00:00:00Z', request_id: 'req-1', result: 'removed' } }));
    mkdirSync(join(df, 'jetstream'), { recursive: true });
    writeFileSync(join(df, 'jetstream', 'stale-marker'), 'x');

    const plain = await runCli(args, { cwd: root.path, env });
    expect(plain.exitCode).toBe(3);
    expect(plain.errLines[0]).toMatch(/^error\[ERR-BOOT-0009\]: /);
    expect(existsSync(join(df, 'nats-server.pid'))).toBe(false);
    expect(existsSync(join(df, 'jetstream', 'stale-marker'))).toBe(true);

    const rejoin = await runCli([...args, '--rejoin'], { cwd: root.path, env });
    expect(rejoin.exitCode, rejoin.stderr).toBe(0);
    const j = rejoin.json<{ status: string; server_name: string; rejoin: { renamed: boolean; previous_name: string } }>();
    expect(j.status).toBe('ready');
    expect(existsSync(join(df, 'jetstream', 'stale-marker'))).toBe(false);
    const after = JSON.parse(readFileSync(statePath, 'utf8')) as { left: unknown; server_name: string; previous_names?: string[] };
    expect(after.left).toBeNull();
    if (versionAtLeast(natsServerVersion(), '2.11.2')) {
      expect(j.server_name).toBe('s1');
      expect(j.rejoin.renamed).toBe(false);
    } else {
      expect(j.server_name).toBe('s1-r1');
      expect(j.rejoin).toMatchObject({ renamed: true, previous_name: 's1' });
      expect(after.previous_names).toEqual(['s1']);
      expect(rejoin.stderr).toMatch(/rejoining as "s1-r1" \(was "s1"\)/);
    }
    expect((await runCli(['down', '--confirm', '--now', '--datafolder', df], { cwd: root.path, env })).exitCode).toBe(0);
  });
});
