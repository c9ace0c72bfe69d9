/**
 * Acceptance (issue 4): 4 secured nodes started with the real CLI (`up --bundle … --detach`),
 * a controller (`controller start`), R3 streams and an R3 KV with data; `leave --confirm` on
 * node 4 removes it. Also: what the node credential may not do, and that no node file holds a
 * controller-side secret.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { tempDir } from '../support/nats-harness.js';
import { validate } from '../../src/infra/json-schema.js';
import { isProcessAlive } from '../../src/infra/process-check.js';
import { cli, connectWithSeed, metaView, startControllerProcess, startSecuredCluster, waitForMeta, type ControllerProcess, type SecuredCluster } from './secured-cluster.js';

let root: { path: string; remove: () => Promise<void> };
let c: SecuredCluster;
let ctl: ControllerProcess;
let app: NatsConnection;
const STREAMS = ['ORDERS', 'EVENTS', 'AUDITLOG'];

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await filesUnder(p)));
    else if (e.isFile()) out.push(p);
  }
  return out;
}

/** Permission errors arrive asynchronously on the connection's status stream. */
function collectErrors(nc: NatsConnection): string[] {
  const errors: string[] = [];
  void (async () => {
    for await (const s of nc.status()) {
      if (s.type === 'error') errors.push(String((s as { error?: Error }).error?.message ?? ''));
    }
  })();
  return errors;
}

beforeAll(async () => {
  root = await tempDir('nbs-cp-leave-');
  c = await startSecuredCluster(root.path, 4);
  await waitForMeta(c.nodes, 4);
  ctl = await startControllerProcess(c);
  // Reconnects: it may sit on node 4, which leaves.
  app = await connectWithSeed(await c.seed('app-admin'), c.urls, { reconnect: true });
  const jsm = await jetstreamManager(app);
  const js = jetstream(app);
  for (const s of STREAMS) {
    await jsm.streams.add({ name: s, subjects: [`${s.toLowerCase()}.>`], num_replicas: 3 });
    for (let i = 0; i < 50; i++) await js.publish(`${s.toLowerCase()}.x`, `m${i}`);
  }
  const kv = await new Kvm(app).create('settings', { replicas: 3 });
  for (let i = 0; i < 10; i++) await kv.put(`k${i}`, `v${i}`);
});

afterAll(async () => {
  await app?.close().catch(() => undefined);
  await ctl?.stop().catch(() => undefined);
  await c?.teardown();
  await root?.remove();
});

describe('secured cluster', () => {
  it('refuses a client without credentials (no open default user)', async () => {
    await expect(connect({ servers: c.urls[0]!, reconnect: false })).rejects.toThrow(/Authorization Violation/i);
  });

  it('the node credential cannot peer-remove, use $SYS or read application streams: the server says so', async () => {
    const nc = await connectWithSeed(await c.nodeSeed(), [c.urls[0]!], { inboxPrefix: '_INBOX_NBS_NODE' });
    const errors = collectErrors(nc);
    nc.publish('$JS.API.SERVER.REMOVE', JSON.stringify({ peer: c.nodes[1]!.name }));
    nc.publish('$SYS.REQ.SERVER.PING', '');
    nc.publish('$JS.API.STREAM.INFO.ORDERS', '');
    nc.subscribe('orders.>');
    nc.subscribe('_INBOX.>');
    await nc.flush();
    await new Promise((r) => setTimeout(r, 500));
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "\$JS\.API\.SERVER\.REMOVE"/);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "\$SYS\.REQ\.SERVER\.PING"/);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Publish to "\$JS\.API\.STREAM\.INFO\.ORDERS"/);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Subscription to "orders\.>"/);
    expect(errors.join('\n')).toMatch(/Permissions Violation for Subscription to "_INBOX\.>"/);
    // A request to the JetStream API never gets an answer (publish denied).
    await expect(nc.request('$JS.API.STREAM.NAMES', '', { timeout: 500 })).rejects.toThrow();
    // …while a control request is allowed and answered.
    const r = await nc.request(`nbs.${c.name}.ctl.ping`, JSON.stringify({ schema_version: 1, request_id: 'perm-ping', action: 'ping' }), { timeout: 5000 });
    expect(r.json<{ ok: boolean }>().ok).toBe(true);
    await nc.close();
  });
});

describe('doctor --controller', () => {
  it('pings the controller over NATS with the node credential', async () => {
    const r = await cli(['doctor', '--controller', '--datafolder', c.nodes[0]!.datafolder, '--json'], { cwd: c.root });
    const out = r.json<{ checks: Array<{ id: string; status: string; message: string }> }>();
    const check = out.checks.find((x) => x.id === 'controller');
    expect(check?.status, check?.message).toBe('ok');
    expect(check?.message).toMatch(/answered in \d+ ms/);
  });
});

describe('leave --confirm on node 4', () => {
  let requestId = '';

  it('removes the peer, stops the node and marks its data folder', async () => {
    const n4 = c.nodes[3]!;
    const pid = await n4.pid();
    expect(pid).toBeGreaterThan(0);
    const before = await (async () => {
      const jsm = await jetstreamManager(app);
      const hosts: Record<string, string[]> = {};
      for (const s of [...STREAMS, 'KV_settings']) {
        const si = await jsm.streams.info(s);
        hosts[s] = [si.cluster?.leader ?? '', ...(si.cluster?.replicas ?? []).map((r) => r.name)];
      }
      return hosts;
    })();
    console.log('stream members before leave:', JSON.stringify(before));

    const unconfirmed = await cli(['leave', '--datafolder', n4.datafolder], { cwd: c.root });
    expect(unconfirmed.exitCode).toBe(3);
    expect(unconfirmed.stderr).toMatch(/error\[ERR-CORE-0005\]/);
    expect(await isProcessAlive(pid!)).toBe(true);

    const r = await cli(['leave', '--confirm', '--datafolder', n4.datafolder, '--json'], { cwd: c.root });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.json<{ status: string; request_id: string; stopped: boolean; removal: { meta_peers_after: string[] } }>();
    expect(out.status).toBe('removed');
    expect(validate('leave.schema.json', out)).toEqual([]);
    expect(out.stopped).toBe(true);
    expect(out.removal.meta_peers_after).not.toContain(n4.name);
    requestId = out.request_id;

    // The process is gone.
    expect(await isProcessAlive(pid!)).toBe(false); // exited (a zombie awaiting reaping counts as gone)
    // The meta group has 3 peers, on every remaining server.
    await waitForMeta(c.nodes.slice(0, 3), 3);
    const meta = await metaView(c.nodes[0]!);
    expect(meta?.cluster_size).toBe(3);
    // The data folder is marked left.
    const state = JSON.parse(await readFile(join(n4.datafolder, 'state.json'), 'utf8')) as { left: { result: string; request_id: string } };
    expect(state.left).toMatchObject({ result: 'removed', request_id: requestId });
    // Finished: no leave in progress any more (status shows none); state.json keeps the id.
    await expect(stat(join(n4.datafolder, 'leave-request.json'))).rejects.toThrow(/ENOENT/);
  });

  it('the audit bucket holds one record with the result', async () => {
    const control = await connectWithSeed(await c.seed('controller'), c.urls.slice(0, 3));
    const kv = await new Kvm(control).open('nbs_audit');
    const keys: string[] = [];
    for await (const k of await kv.keys()) keys.push(k);
    const leaves = [];
    for (const k of keys) {
      const rec = (await kv.get(k))!.json<{ action: string; phase: string; params: { server_name: string }; history: Array<{ phase: string }>; result: { removed: boolean } }>();
      if (rec.action === 'leave') leaves.push({ k, rec });
    }
    expect(leaves).toHaveLength(1);
    expect(leaves[0]!.k).toBe(requestId);
    expect(leaves[0]!.rec.phase).toBe('done');
    expect(leaves[0]!.rec.result.removed).toBe(true);
    expect(leaves[0]!.rec.params.server_name).toBe(c.nodes[3]!.name);
    expect(leaves[0]!.rec.history.map((h) => h.phase)).toEqual(['received', 'accepted', 'removing', 'done']);
    await control.close();
  });

  it('all stream and KV data is intact and readable', async () => {
    const jsm = await jetstreamManager(app);
    for (const s of STREAMS) {
      const si = await jsm.streams.info(s);
      expect(si.state.messages).toBe(50);
      const m = await jsm.streams.getMessage(s, { seq: 50 });
      expect(m?.string()).toBe('m49');
    }
    const kv = await new Kvm(app).open('settings');
    for (let i = 0; i < 10; i++) expect((await kv.get(`k${i}`))?.string()).toBe(`v${i}`);
  });

  it('a replay of the finished request_id answers already_done and removes nothing', async () => {
    const nc = await connectWithSeed(await c.nodeSeed(), c.urls.slice(0, 3), { inboxPrefix: '_INBOX_NBS_NODE' });
    for (const phase of ['prepare', 'commit']) {
      const m = await nc.request(
        `nbs.${c.name}.ctl.leave`,
        JSON.stringify({ schema_version: 1, request_id: requestId, action: 'leave', params: { server_name: c.nodes[3]!.name, phase } }),
        { timeout: 10_000 },
      );
      const reply = m.json<{ status: string; result: { phase: string; removed: boolean } }>();
      expect(reply.status).toBe('already_done');
      expect(reply.result).toMatchObject({ phase: 'done', removed: true });
    }
    await nc.close();
    expect((await metaView(c.nodes[0]!))?.cluster_size).toBe(3);
    // The node itself: leave again → already left, nothing asked.
    const again = await cli(['leave', '--confirm', '--datafolder', c.nodes[3]!.datafolder, '--json'], { cwd: c.root });
    expect(again.exitCode).toBe(0);
    expect(again.json<{ status: string }>().status).toBe('already_left');
  });

  it('a plain up of the left node refuses (exit 3)', async () => {
    const r = await c.up(c.nodes[3]!);
    expect(r.exitCode).toBe(3);
    expect(r.stderr).toMatch(/ERR-BOOT-0009/);
  });

  it('up --rejoin brings the left node back as a fresh member of the secured cluster', async () => {
    const r = await c.up(c.nodes[3]!, ['--rejoin']);
    expect(r.exitCode, r.stderr).toBe(0);
    await waitForMeta(c.nodes, 4);
    const state = JSON.parse(await readFile(join(c.nodes[3]!.datafolder, 'state.json'), 'utf8')) as { left: unknown; bundle: string };
    expect(state.left).toBeNull();
    expect(state.bundle).toBe(c.bundle);
  });

  it("no file on a node (data folders, bundle) contains a controller-side secret", async () => {
    const secrets = await Promise.all((['system', 'controller', 'app-admin', 'app-user'] as const).map((r) => c.seed(r)));
    const files = [c.bundle];
    for (const n of c.nodes) files.push(...(await filesUnder(n.datafolder)));
    expect(files.length).toBeGreaterThan(8);
    for (const f of files) {
      if ((await stat(f)).size > 50 * 1024 * 1024) continue;
      const text = await readFile(f, 'latin1');
      for (const s of secrets) expect(text.includes(s), `${f} contains a controller-side seed`).toBe(false);
    }
    // The bundle is private to its owner.
    expect((await stat(c.bundle)).mode & 0o077).toBe(0);
  });
});
