/**
 * Leaving the meta LEADER (DESIGN §5/§9: removing an *online* meta leader broke JetStream on
 * nats-server 2.9.10). The leave stops the node first (lame duck hands the leadership off), so the
 * peer is removed only once it is offline, and the remaining servers keep a working JetStream API.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jetstreamManager } from '@nats-io/jetstream';
import { tempDir } from '../support/nats-harness.js';
import { cli, connectWithSeed, metaView, startControllerProcess, startSecuredCluster, waitForMeta, type ControllerProcess, type SecuredCluster } from './secured-cluster.js';

let root: { path: string; remove: () => Promise<void> };
let c: SecuredCluster;
let ctl: ControllerProcess;

beforeAll(async () => {
  root = await tempDir('nbs-cp-leader-');
  c = await startSecuredCluster(root.path, 3);
  await waitForMeta(c.nodes, 3);
  ctl = await startControllerProcess(c);
});

afterAll(async () => {
  await ctl?.stop().catch(() => undefined);
  await c?.teardown();
  await root?.remove();
});

describe('leave of the meta leader', () => {
  it('hands the leadership off, removes the peer, and JetStream keeps working', async () => {
    const leaderName = await waitForMeta(c.nodes, 3);
    const leader = c.nodes.find((n) => n.name === leaderName)!;
    const rest = c.nodes.filter((n) => n !== leader);
    const r = await cli(['leave', '--confirm', '--datafolder', leader.datafolder, '--json'], { cwd: c.root });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json<{ status: string }>().status).toBe('removed');
    const newLeader = await waitForMeta(rest, 2);
    expect(newLeader).not.toBe(leaderName);
    expect((await metaView(rest[0]!))?.cluster_size).toBe(2);
    // The JetStream API answers: create and use a stream in the application account.
    const app = await connectWithSeed(await c.seed('app-admin'), rest.map((n) => n.url));
    const jsm = await jetstreamManager(app);
    await jsm.streams.add({ name: 'AFTER', subjects: ['after.>'], num_replicas: 2 });
    expect((await jsm.streams.info('AFTER')).config.num_replicas).toBe(2);
    await app.close();
  });
});
