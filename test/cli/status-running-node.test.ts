import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validate } from '../../src/infra/json-schema.js';
import { startCluster, startServer, tempDir, waitFor, type TestCluster, type TestServer } from '../support/nats-harness.js';
import { freePorts } from '../support/ports.js';
import { runCli } from '../support/cli-run.js';

interface Peer {
  name: string;
  self: boolean;
  leader: boolean;
  current: boolean;
  offline: boolean;
}

/** A data-folder layout (state.json + pid file) for a harness server, written by hand: independent of `up`. */
async function nodeFolder(root: string, s: TestServer, cluster: TestCluster): Promise<string> {
  const folder = join(root, s.name);
  await mkdir(folder);
  const now = new Date().toISOString();
  await writeFile(
    join(folder, 'state.json'),
    JSON.stringify({
      schema_version: 1,
      server_name: s.name,
      cluster: cluster.name,
      mode: 'bootstrap',
      ports: { client: s.clientPort, cluster: s.clusterPort, http: s.httpPort },
      host: '127.0.0.1',
      seeds: cluster.servers.map((x) => `127.0.0.1:${x.clusterPort}`),
      bundle: null,
      created_at: now,
      updated_at: now,
      left: null,
    }),
  );
  await writeFile(join(folder, 'nats-server.pid'), `${s.process.pid}\n`);
  return folder;
}

/**
 * status/doctor for a running node: a real 3-node cluster from the harness. "This node" is the
 * meta leader (on nats-server 2.9 only the leader's /jsz lists every peer); a follower's view is
 * checked separately.
 */
describe('status and doctor with a running node (real 3-node cluster)', () => {
  let cluster: TestCluster;
  let dir: { path: string; remove: () => Promise<void> };
  let env: Record<string, string | undefined>;
  let me: TestServer;
  let follower: TestServer;
  let folder: string;
  let followerFolder: string;

  beforeAll(async () => {
    dir = await tempDir('nbs-running-');
    env = { PATH: process.env['PATH'], HOME: dir.path };
    cluster = await startCluster(3);
    const leader = await cluster.waitForMetaLeader();
    me = cluster.servers.find((s) => s.name === leader)!;
    follower = cluster.servers.find((s) => s.name !== leader)!;
    folder = await nodeFolder(dir.path, me, cluster);
    followerFolder = await nodeFolder(dir.path, follower, cluster);
  });
  afterAll(async () => {
    await cluster?.destroy();
    await dir?.remove();
  });

  const status = async (f = folder) => {
    const r = await runCli(['status', '--json', '--datafolder', f], { cwd: dir.path, env });
    expect(r.exitCode, r.stderr).toBe(0);
    return JSON.parse(r.stdout);
  };

  it('status reports the node running and the cluster as its monitoring endpoint sees it', async () => {
    const s = await status();
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.node).toMatchObject({ running: true, stale_pid: false, pid: me.process.pid, server_name: me.name, cluster: cluster.name, ports_source: 'state' });
    expect(s.cluster).toMatchObject({
      reachable: true,
      error: null,
      server_name: me.name,
      cluster_name: cluster.name,
      jetstream: true,
      meta_leader: me.name,
      cluster_size: 3,
      peers_partial: false,
      listening: { client: me.clientPort, cluster: me.clusterPort, http: me.httpPort },
      health: { status: 'ok', error: null },
    });
    const peers = s.cluster.peers as Peer[];
    expect(peers.map((p) => p.name)).toEqual(cluster.servers.map((x) => x.name).sort());
    expect(peers.filter((p) => p.leader).map((p) => p.name)).toEqual([me.name]);
    expect(peers.find((p) => p.self)?.name).toBe(me.name);
    expect(peers.every((p) => p.current && !p.offline)).toBe(true);
    // distinct route peers: by name where the server reports remote_name (2.10+), else by server id (2.9)
    const others = await Promise.all(cluster.servers.filter((x) => x !== me).map((x) => x.monitor<{ server_id: string; server_name: string }>('/varz')));
    const byId = (s.cluster.routes as string[]).every((r) => /^N[A-Z0-9]{55}$/.test(r));
    expect(s.cluster.routes).toEqual(others.map((o) => (byId ? o.server_id : o.server_name)).sort());

    const h = await runCli(['status', '--datafolder', folder], { cwd: dir.path, env });
    expect(h.stdout).toMatch(new RegExp(`server: running, pid ${me.process.pid}`));
    expect(h.stdout).toMatch(new RegExp(`meta: +leader ${me.name}, cluster size 3`));
    expect(h.stdout).toMatch(new RegExp(`peer: +${me.name} \\(current, leader, this node`));
  });

  it('status from a follower shows itself and the leader and says the peer list is partial', async () => {
    const s = await status(followerFolder);
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.cluster.meta_leader).toBe(me.name);
    const names = (s.cluster.peers as Peer[]).map((p) => p.name);
    expect(names).toContain(me.name);
    expect(names).toContain(follower.name);
    // 2.9: a follower's /jsz lists no replicas, so the list is partial (the server's cluster_size tells)
    expect(s.cluster.peers_partial, JSON.stringify(s.cluster)).toBe(names.length < s.cluster.cluster_size);
  });

  it('status says when the monitoring endpoint of a running node does not answer', async () => {
    const [wrongHttp] = await freePorts(1);
    const f = join(dir.path, 'wrong-http');
    await mkdir(f);
    const now = new Date().toISOString();
    await writeFile(join(f, 'state.json'), JSON.stringify({ schema_version: 1, server_name: me.name, cluster: cluster.name, mode: 'bootstrap', ports: { client: me.clientPort, cluster: me.clusterPort, http: wrongHttp }, seeds: [], bundle: null, created_at: now, updated_at: now, left: null }));
    await writeFile(join(f, 'nats-server.pid'), `${me.process.pid}\n`);
    const s = await status(f);
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.node.running).toBe(true);
    expect(s.cluster).toEqual({ monitoring_url: `http://127.0.0.1:${wrongHttp}`, reachable: false, error: expect.stringContaining('ECONNREFUSED') });
    const h = await runCli(['status', '--datafolder', f], { cwd: dir.path, env });
    expect(h.stdout).toMatch(/cluster: +monitoring http:\/\/127\.0\.0\.1:\d+ unreachable: .*ECONNREFUSED/);
  });

  it('doctor passes with the node running: its ports count as held by this node', async () => {
    const r = await runCli(['doctor', '--json', '--datafolder', folder], { cwd: dir.path, env });
    const d = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ id: string; status: string; message: string }> };
    expect(validate('doctor.schema.json', d)).toEqual([]);
    expect(r.exitCode, JSON.stringify(d.checks, null, 1)).toBe(0);
    const ports = d.checks.find((c) => c.id === 'ports')!;
    expect(ports.status).toBe('ok');
    expect(ports.message).toBe(`client ${me.clientPort} held by this node; cluster ${me.clusterPort} held by this node; http ${me.httpPort} held by this node (ports from state.json)`);
    expect(d.checks.find((c) => c.id === 'pid')).toMatchObject({ status: 'ok', message: expect.stringContaining(`pid ${me.process.pid}`) });
  });

  it('doctor fails the ports check for the ports of another server (not this node)', async () => {
    const cfg = join(dir.path, 'other-ports.json');
    await writeFile(cfg, JSON.stringify({ client_port: follower.clientPort, cluster_port: follower.clusterPort, http_port: follower.httpPort }));
    const r = await runCli(['doctor', '--json', '--config', cfg, '--datafolder', join(dir.path, 'fresh')], { cwd: dir.path, env });
    expect(r.exitCode).toBe(1);
    const d = JSON.parse(r.stdout) as { checks: Array<{ id: string; status: string; message: string }> };
    expect(d.checks.find((c) => c.id === 'ports')).toMatchObject({ status: 'fail', message: expect.stringContaining(`client ${follower.clientPort} in use by another process`) });
  });

  it('status shows a stopped peer as offline (as the meta leader reports it)', async () => {
    const gone = cluster.servers.find((s) => s !== me && s !== follower)!;
    await gone.stop();
    const s = await waitFor(
      `${gone.name} reported offline`,
      async () => {
        const v = await status();
        const p = (v.cluster?.peers as Peer[] | undefined)?.find((x) => x.name === gone.name);
        return p?.offline ? v : undefined;
      },
      30_000,
      300,
    );
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.cluster.routes).toHaveLength(1);
    const h = await runCli(['status', '--datafolder', folder], { cwd: dir.path, env });
    expect(h.stdout).toMatch(new RegExp(`peer: +${gone.name} \\(offline`));
  });

  it('status after the node stopped: not running, stale pid, no cluster view', async () => {
    await me.stop();
    const s = await status();
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.node).toMatchObject({ running: false, stale_pid: true });
    expect(s.cluster).toBeNull();
  });
});

describe('status with a running standalone JetStream server', () => {
  let server: TestServer;
  let dir: { path: string; remove: () => Promise<void> };
  afterAll(async () => {
    await server?.stop();
    await dir?.remove();
  });

  it('reports no cluster and no peers, and says so', async () => {
    dir = await tempDir('nbs-solo-');
    server = await startServer({ name: 'solo' });
    const folder = join(dir.path, 'solo');
    await mkdir(folder);
    const now = new Date().toISOString();
    await writeFile(join(folder, 'state.json'), JSON.stringify({ schema_version: 1, server_name: 'solo', cluster: null, mode: 'user-config', ports: { client: server.clientPort, cluster: server.clusterPort, http: server.httpPort }, seeds: [], bundle: null, created_at: now, updated_at: now, left: null }));
    await writeFile(join(folder, 'nats-server.pid'), `${server.process.pid}\n`);
    const env = { PATH: process.env['PATH'], HOME: dir.path };
    const r = await runCli(['status', '--json', '--datafolder', folder], { cwd: dir.path, env });
    const s = JSON.parse(r.stdout);
    expect(validate('status.schema.json', s)).toEqual([]);
    expect(s.cluster).toMatchObject({ reachable: true, server_name: 'solo', cluster_name: null, jetstream: true, meta_leader: null, peers: [], routes: [] });
    const h = await runCli(['status', '--datafolder', folder], { cwd: dir.path, env });
    expect(h.stdout).toMatch(/meta: +standalone JetStream \(not clustered\)/);
  });
});
