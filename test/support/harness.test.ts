import { afterAll, describe, expect, it } from 'vitest';
import { startCluster, type TestCluster } from './nats-harness.js';

describe('test harness', () => {
  let cluster: TestCluster | undefined;
  afterAll(async () => cluster?.destroy());

  it('starts a 3-node real nats-server cluster with a meta leader', async () => {
    cluster = await startCluster(3);
    const leader = await cluster.waitForMetaLeader();
    expect(cluster.servers.map((s) => s.name)).toContain(leader);
    const jsz = await cluster.servers[0]!.monitor<{ meta_cluster: { cluster_size: number } }>('/jsz');
    expect(jsz.meta_cluster.cluster_size).toBe(3);
  });
});
