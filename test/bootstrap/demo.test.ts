/**
 * demo: three nodes on this machine; Ctrl-C stops them all; --detach leaves them running and
 * prints how to stop them.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { monitorGet, tempDir, waitFor, type JszMeta } from '../support/nats-harness.js';
import { CLI, NodeTracker, cliEnv, runCli } from './cli-nodes.js';
import { validate } from '../../src/infra/json-schema.js';

const tracker = new NodeTracker();
let root: { path: string; remove: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  root = await tempDir('nbs-demo-');
  env = cliEnv(root.path);
  for (const d of ['fg', 'bg']) for (const n of [1, 2, 3]) tracker.add(join(root.path, d, `node${n}`));
});

afterAll(async () => {
  await tracker.killNodes();
  await root.remove();
});

describe('demo', () => {
  it('runs three nodes in the foreground and stops them all on Ctrl-C', async () => {
    const child = spawn(process.execPath, [CLI, 'demo', '--dir', join(root.path, 'fg')], { cwd: root.path, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      await waitFor('demo ready', async () => out.includes('Ctrl-C stops the cluster'), 60_000, 100);
      expect(out).toMatch(/meta leader node\d/);
      expect(out).toMatch(/nats -s nats:\/\/127\.0\.0\.1:\d+,nats:\/\/127\.0\.0\.1:\d+,nats:\/\/127\.0\.0\.1:\d+ stream ls/);
      const servers = /nats -s (\S+) stream ls/.exec(out)![1]!.split(',');
      const nc = await connect({ servers });
      try {
        await jetstreamManager(nc).then((m) => m.streams.add({ name: 'DEMO', subjects: ['demo.>'], num_replicas: 3 }));
        expect((await jetstream(nc).publish('demo.x', 'y')).seq).toBe(1);
      } finally {
        await nc.close();
      }
      child.kill('SIGINT');
      expect(await exited, err).toBe(0);
      expect(out).toMatch(/demo stopped \(data kept in /);
      for (const n of [1, 2, 3]) expect(existsSync(join(root.path, 'fg', `node${n}`, 'nats-server.pid'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--detach leaves the nodes running and says how to stop them', async () => {
    const dir = join(root.path, 'bg');
    const r = await runCli(['demo', '--detach', '--dir', dir, '--json'], { cwd: root.path, env });
    expect(r.exitCode, r.stderr).toBe(0);
    const j = r.json<{ nodes: Array<{ monitoring_url: string; datafolder: string }>; stop_commands: string[]; meta_leader: string }>();
    expect(validate('demo.schema.json', j)).toEqual([]);
    expect(j.nodes).toHaveLength(3);
    expect(j.stop_commands).toEqual([1, 2, 3].map((n) => `nats-bootstrap down --confirm --datafolder ${join(dir, `node${n}`)}`));
    const port = Number(new URL(j.nodes[0]!.monitoring_url).port);
    const jsz = await waitFor('meta leader', async () => {
      const v = await monitorGet<JszMeta>(port, '/jsz');
      return v.meta_cluster?.leader ? v : undefined;
    });
    expect(jsz.meta_cluster?.cluster_size).toBe(3);
    const stops = await Promise.all(j.nodes.map((n) => runCli(['down', '--confirm', '--datafolder', n.datafolder], { cwd: root.path, env })));
    for (const s of stops) expect(s.exitCode, s.stderr).toBe(0);
  });
});
