/**
 * The controller service against a real secured 3-node cluster: request validation (it keeps
 * serving after bad input), the queue group (two controllers share requests), events, and
 * idempotency across a SIGKILL right after a peer removal (test-only hook NBS_TEST_CRASH_AFTER).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { tempDir, waitFor } from '../support/nats-harness.js';
import { cli, connectWithSeed, startControllerProcess, startSecuredCluster, waitForMeta, type ControllerProcess, type SecuredCluster } from './secured-cluster.js';

let root: { path: string; remove: () => Promise<void> };
let c: SecuredCluster;
let ctl: ControllerProcess;
let node: NatsConnection;

interface Reply {
  request_id: string | null;
  ok: boolean;
  status: string;
  controller: { id: string };
  error?: { code: string; message: string };
  result?: Record<string, unknown>;
}

async function ask(action: string, body: string | object, timeout = 10_000): Promise<Reply> {
  const m = await node.request(`nbs.${c.name}.ctl.${action}`, typeof body === 'string' ? body : JSON.stringify(body), { timeout });
  return m.json<Reply>();
}

beforeAll(async () => {
  root = await tempDir('nbs-cp-ctl-');
  c = await startSecuredCluster(root.path, 3);
  await waitForMeta(c.nodes, 3);
  ctl = await startControllerProcess(c);
  node = await connectWithSeed(await c.nodeSeed(), c.urls, { inboxPrefix: '_INBOX_NBS_NODE' });
});

afterAll(async () => {
  await node?.close().catch(() => undefined);
  await ctl?.stop().catch(() => undefined);
  await c?.teardown();
  await root?.remove();
});

describe('requests', () => {
  it('ping and status answer', async () => {
    const p = await ask('ping', { schema_version: 1, request_id: 'ping-1', action: 'ping' });
    expect(p).toMatchObject({ ok: true, status: 'ok', request_id: 'ping-1' });
    const s = await ask('status', { schema_version: 1, request_id: 'status-1', action: 'status' });
    expect(s.ok).toBe(true);
    const meta = s.result!['meta'] as { leader: string; peers: Array<{ name: string; online: boolean }> };
    expect(meta.peers.map((x) => x.name).sort()).toEqual(c.nodes.map((x) => x.name).sort());
    expect(s.result!['audit']).toEqual({ bucket: 'nbs_audit', replicas: 3 });
  });

  it('malformed requests get an error reply with a code, and the controller keeps serving', async () => {
    const cases: Array<[string, string | object, string]> = [
      ['ping', '{not json', 'bad_json'],
      ['ping', '[1,2]', 'invalid_request'],
      ['ping', { schema_version: 1, request_id: 42, action: 'ping' }, 'invalid_request'],
      ['ping', { schema_version: 1, request_id: 'x1', action: 'ping', extra: true }, 'invalid_request'],
      ['leave', { schema_version: 1, request_id: 'x2', action: 'leave', params: { server_name: 'a', phase: 'now' } }, 'invalid_request'],
      ['leave', { schema_version: 1, request_id: 'x3', action: 'leave', params: { server_name: 'a', phase: 'prepare', force: 'yes' } }, 'invalid_request'],
      ['leave', { schema_version: 1, request_id: 'x4', action: 'leave' }, 'invalid_request'],
      ['ping', { schema_version: 1, request_id: 'x5', action: 'status' }, 'invalid_request'],
      ['ping', { schema_version: 1, request_id: 'x6 has spaces', action: 'ping' }, 'invalid_request'],
      ['reboot', { schema_version: 1, request_id: 'x7', action: 'reboot' }, 'unknown_action'],
      ['ping', 'x'.repeat(200_000), 'too_large'],
      ['backup', { schema_version: 1, request_id: 'x8', action: 'backup', params: { all: 'yes' } }, 'invalid_request'],
    ];
    for (const [action, body, code] of cases) {
      const r = await ask(action, body);
      expect(r.ok, `${action} ${String(body).slice(0, 40)}`).toBe(false);
      expect(r.status).toBe('error');
      expect(r.error?.code, JSON.stringify(r.error)).toBe(code);
    }
    const p = await ask('ping', { schema_version: 1, request_id: 'ping-after', action: 'ping' });
    expect(p.ok).toBe(true);
    expect(ctl.proc.exitCode).toBeNull();
  });

  it('leave of a server that is not a meta peer is refused (not_a_peer), also with force', async () => {
    const r = await ask('leave', { schema_version: 1, request_id: 'ghost-1', action: 'leave', params: { server_name: 'ghost', phase: 'prepare', force: true } });
    expect(r.status).toBe('refused');
    expect(r.error?.code).toBe('not_a_peer');
    const commit = await ask('leave', { schema_version: 1, request_id: 'never-prepared', action: 'leave', params: { server_name: c.nodes[2]!.name, phase: 'commit' } });
    expect(commit.error?.code).toBe('not_prepared');
  });

  it('a running server is never peer-removed without force (still_online)', async () => {
    const name = c.nodes[2]!.name;
    const prep = await ask('leave', { schema_version: 1, request_id: 'online-1', action: 'leave', params: { server_name: name, phase: 'prepare' } });
    expect(prep.status).toBe('accepted');
    // Commit without stopping: the controller waits for it to go offline (30 s by default) and refuses.
    const r = await ask('leave', { schema_version: 1, request_id: 'online-1', action: 'leave', params: { server_name: name, phase: 'commit' } }, 60_000);
    expect(r.error?.code).toBe('still_online');
    const s = await ask('status', { schema_version: 1, request_id: 'status-2', action: 'status' });
    expect((s.result!['meta'] as { peers: unknown[] }).peers).toHaveLength(3);
    expect((s.result!['pending_leaves'] as Array<{ request_id: string }>).map((x) => x.request_id)).toContain('online-1');
  });

  it('the same request_id for another server is a conflict', async () => {
    const r = await ask('leave', { schema_version: 1, request_id: 'online-1', action: 'leave', params: { server_name: c.nodes[1]!.name, phase: 'prepare' } });
    expect(r.error?.code).toBe('conflict');
  });
});

describe('two controllers', () => {
  it('share the requests through the queue group', async () => {
    const second = await startControllerProcess(c);
    try {
      const ids = new Set<string>();
      await waitFor('both controllers answering', async () => {
        const r = await ask('ping', { schema_version: 1, request_id: `q-${ids.size}-${Math.random().toString(36).slice(2)}`, action: 'ping' });
        ids.add(r.controller.id);
        return ids.size === 2;
      }, 20_000, 10);
    } finally {
      await second.stop();
    }
  });
});

describe('SIGKILL after the removal, before the reply', () => {
  it('the retried leave completes once', async () => {
    // The pending leave of the previous test would block a new one (membership change in flight).
    await ctl.stop();
    // Reconnects: it may sit on node 3, which leaves.
    const control = await connectWithSeed(await c.seed('controller'), c.urls, { reconnect: true });
    const kv = await new Kvm(control).open('nbs_audit');
    await kv.delete('online-1');
    const events: Array<{ kind: string }> = [];
    const sub = control.subscribe(`nbs.${c.name}.evt.>`, { callback: (_e, m) => void events.push(m.json()) });

    const crashing = await startControllerProcess(c, { NBS_TEST_CRASH_AFTER: 'removed' });
    const n3 = c.nodes[2]!;
    const first = await cli(['leave', '--confirm', '--timeout', '15', '--datafolder', n3.datafolder, '--json'], { cwd: c.root });
    expect(await crashing.exited()).toBeNull(); // killed by SIGKILL
    expect(crashing.proc.signalCode).toBe('SIGKILL');
    expect(first.exitCode, first.stderr).toBe(1);
    expect(first.json<{ status: string }>().status).toBe('pending');
    const { request_id: rid } = JSON.parse(await readFile(join(n3.datafolder, 'leave-request.json'), 'utf8')) as { request_id: string };
    const mid = (await kv.get(rid))!.json<{ phase: string }>();
    expect(mid.phase).toBe('removing');

    ctl = await startControllerProcess(c);
    const second = await cli(['leave', '--confirm', '--datafolder', n3.datafolder, '--json'], { cwd: c.root });
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.json<{ status: string; request_id: string }>()).toMatchObject({ status: 'removed', request_id: rid });
    const rec = (await kv.get(rid))!.json<{ phase: string; history: Array<{ phase: string }> }>();
    expect(rec.phase).toBe('done');
    expect(rec.history.filter((h) => h.phase === 'removing')).toHaveLength(1);
    expect(rec.history.filter((h) => h.phase === 'done')).toHaveLength(1);
    await waitForMeta(c.nodes.slice(0, 2), 2);

    // Replay → already_done, nothing acts again (the old connection went through the left node).
    await node.close().catch(() => undefined);
    node = await connectWithSeed(await c.nodeSeed(), c.urls.slice(0, 2), { inboxPrefix: '_INBOX_NBS_NODE' });
    const replay = await ask('leave', { schema_version: 1, request_id: rid, action: 'leave', params: { server_name: n3.name, phase: 'commit' } });
    expect(replay.status).toBe('already_done');
    expect((await kv.get(rid))!.revision).toBeGreaterThan(0);
    expect((await kv.get(rid))!.json<{ history: unknown[] }>().history).toHaveLength(rec.history.length);
    expect(events.map((e) => e.kind)).toEqual(expect.arrayContaining(['controller.started', 'leave.accepted', 'leave.removing', 'leave.done']));
    sub.unsubscribe();
    await control.close();
  });
});
