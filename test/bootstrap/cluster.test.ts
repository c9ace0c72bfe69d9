/**
 * Acceptance: three nodes started by the built CLI with identical arguments (except ports, data
 * folders and — all three share this machine's host name — the server name) form one cluster;
 * down --confirm of one node while a client publishes with acks loses no acknowledged message;
 * up again rejoins and catches up.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { monitorGet, tempDir, waitFor, type JszMeta } from '../support/nats-harness.js';
import { freePorts } from '../support/ports.js';
import { NodeTracker, cliEnv } from './cli-nodes.js';
import { runCli } from '../support/cli-run.js';
import { validate } from '../../src/infra/json-schema.js';

interface UpJson {
  status: string;
  server_name: string;
  pid: number;
  ready: { meta_leader: string; cluster_size: number; routes: number } | null;
}

const tracker = new NodeTracker();
let root: { path: string; remove: () => Promise<void> };
let env: Record<string, string>;
const nodes: Array<{ name: string; dir: string; client: number; cluster: number; http: number }> = [];
let commonArgs: string[];
let nc: NatsConnection | undefined;

function upArgs(i: number): string[] {
  const n = nodes[i]!;
  return ['up', ...commonArgs, '--server-name', n.name, '--datafolder', n.dir, '--client-port', String(n.client), '--cluster-port', String(n.cluster), '--http-port', String(n.http), '--detach', '--json'];
}

beforeAll(async () => {
  root = await tempDir('nbs-cluster-');
  env = cliEnv(root.path);
  const ports = await freePorts(9);
  for (let i = 0; i < 3; i++) {
    nodes.push({ name: `n${i + 1}`, dir: tracker.add(join(root.path, `node${i + 1}`)), client: ports[3 * i]!, cluster: ports[3 * i + 1]!, http: ports[3 * i + 2]! });
  }
  commonArgs = ['--cluster', 'accept', ...nodes.flatMap((n) => ['--seed', `127.0.0.1:${n.cluster}`])];
});

afterAll(async () => {
  await nc?.close().catch(() => undefined);
  await Promise.all(nodes.map((n) => runCli(['down', '--confirm', '--now', '--datafolder', n.dir], { cwd: root.path, env }).catch(() => undefined)));
  await tracker.killNodes();
  await root.remove();
});

describe('up --detach on three nodes', () => {
  it('forms one cluster: meta leader, cluster_size 3, an R3 stream accepts writes', async () => {
    const runs = await Promise.all([0, 1, 2].map((i) => runCli(upArgs(i), { cwd: root.path, env })));
    for (const r of runs) {
      expect(r.exitCode, r.stderr).toBe(0);
      const j = r.json<UpJson>();
      expect(validate('up.schema.json', j)).toEqual([]);
      expect(j.status).toBe('ready');
      expect(j.ready?.meta_leader).toBeTruthy();
    }
    const views = await Promise.all(nodes.map((n) => monitorGet<JszMeta>(n.http, '/jsz')));
    const leaders = new Set(views.map((v) => v.meta_cluster?.leader));
    expect(leaders.size).toBe(1);
    for (const v of views) expect(v.meta_cluster?.cluster_size).toBe(3);

    nc = await connect({ servers: nodes.map((n) => `nats://127.0.0.1:${n.client}`), maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const jsm = await jetstreamManager(nc);
    const si = await jsm.streams.add({ name: 'ORDERS', subjects: ['orders.>'], num_replicas: 3 });
    expect(si.config.num_replicas).toBe(3);
    const js = jetstream(nc);
    for (let i = 0; i < 10; i++) {
      const ack = await js.publish('orders.new', `o${i}`);
      expect(ack.seq).toBe(i + 1);
    }
    const info = await jsm.streams.info('ORDERS');
    expect(info.cluster?.replicas?.length).toBe(2);
  });

  it('re-running up on a running node says so and changes nothing', async () => {
    const r = await runCli(upArgs(0), { cwd: root.path, env });
    expect(r.exitCode).toBe(0);
    expect(r.json<UpJson>().status).toBe('already-running');
    expect(validate('up.schema.json', r.json())).toEqual([]);
  });

  it('down --confirm of one node while a client publishes with acks keeps every acked message; up catches up', async () => {
    // The publisher sits on the node that goes down, so lame duck has to move it elsewhere.
    const order = [nodes[2]!, nodes[0]!, nodes[1]!].map((x) => `nats://127.0.0.1:${x.client}`);
    const pc = await connect({ servers: order, noRandomize: true, maxReconnectAttempts: -1, reconnectTimeWait: 200 });
    const js = jetstream(pc, { timeout: 2000 });
    const jsm = await jetstreamManager(nc!);
    const acked = new Map<number, string>();
    let failures = 0;
    let publishing = true;
    let n = 0;
    const publisher = (async () => {
      while (publishing) {
        const body = `m${n++}`;
        try {
          const ack = await js.publish('orders.live', body, { msgID: body });
          if (!ack.duplicate) acked.set(ack.seq, body);
        } catch {
          failures++;
        }
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    await new Promise((r) => setTimeout(r, 500));
    const victim = nodes[2]!;
    const ackedBeforeDown = acked.size;
    const down = await runCli(['down', '--confirm', '--datafolder', victim.dir, '--json'], { cwd: root.path, env });
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.json<{ mode: string }>().mode).toBe('lame-duck');
    expect(validate('down.schema.json', down.json())).toEqual([]);
    await new Promise((r) => setTimeout(r, 500));
    publishing = false;
    await publisher;
    await pc.close();
    // Writes went on while the node was leaving (R3 keeps quorum with two).
    expect(acked.size).toBeGreaterThan(ackedBeforeDown);
    console.log(`published ${n}, acked ${acked.size}, failed ${failures}; down took ${down.json<{ waited_ms: number }>().waited_ms} ms`);

    // Every acknowledged message is there, with the body we sent.
    for (const [seq, body] of acked) {
      const m = await jsm.streams.getMessage('ORDERS', { seq });
      expect(m?.string(), `seq ${seq}`).toBe(body);
    }

    // up again: the node rejoins and its replica catches up.
    const again = await runCli(upArgs(2), { cwd: root.path, env });
    expect(again.exitCode, again.stderr).toBe(0);
    expect(again.json<UpJson>().status).toBe('ready');
    const last = (await jsm.streams.info('ORDERS')).state.last_seq;
    await waitFor('n3 replica caught up', async () => {
      const info = await jsm.streams.info('ORDERS');
      const r3 = [...(info.cluster?.replicas ?? []), ...(info.cluster?.leader === victim.name ? [{ name: victim.name, current: true, lag: 0 }] : [])].find((r) => r.name === victim.name);
      return r3 && r3.current && !r3.lag ? true : undefined;
    }, 30_000, 250);
    await waitFor('n3 local copy has every message', async () => {
      const jsz = await monitorGet<{ account_details?: Array<{ stream_detail?: Array<{ name: string; state: { last_seq: number } }> }> }>(victim.http, '/jsz?streams=true');
      const local = jsz.account_details?.flatMap((a) => a.stream_detail ?? []).find((s) => s.name === 'ORDERS');
      return local?.state.last_seq === last ? true : undefined;
    }, 30_000, 250);
  });
});
