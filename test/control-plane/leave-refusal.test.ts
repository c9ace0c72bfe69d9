/**
 * Acceptance (issue 4): a 3-node secured cluster with one node already down. `leave` of a second
 * node is refused (exit 3) with the numbers, the cluster is untouched and the refusal is audited.
 * With --force it proceeds: the node stops; with no quorum left the peer removal cannot commit
 * and stays pending (exit 1); once the down node is back, the same leave (same request_id,
 * reached through another server) completes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Kvm } from '@nats-io/kv';
import { tempDir, waitFor } from '../support/nats-harness.js';
import { validate } from '../../src/infra/json-schema.js';
import { isProcessAlive } from '../../src/infra/process-check.js';
import { cli, connectWithSeed, metaView, startControllerProcess, startSecuredCluster, waitForMeta, type ControllerProcess, type SecuredCluster } from './secured-cluster.js';

let root: { path: string; remove: () => Promise<void> };
let c: SecuredCluster;
let ctl: ControllerProcess;

interface AuditRec {
  request_id: string;
  action: string;
  phase: string;
  params: { server_name: string; force?: boolean };
  history: Array<{ phase: string }>;
  error?: { code: string };
}

/** Read the audit bucket as the controller user (retried: its stream may be electing a leader). */
async function auditRecords(): Promise<AuditRec[]> {
  const nc = await connectWithSeed(await c.seed('controller'), [c.urls[0]!]);
  try {
    return await waitFor('audit records', async () => {
      const kv = await new Kvm(nc).open('nbs_audit');
      const out: AuditRec[] = [];
      for await (const k of await kv.keys()) out.push((await kv.get(k))!.json<AuditRec>());
      return out;
    }, 30_000, 500);
  } finally {
    await nc.close();
  }
}

beforeAll(async () => {
  root = await tempDir('nbs-cp-refuse-');
  c = await startSecuredCluster(root.path, 3);
  await waitForMeta(c.nodes, 3);
  ctl = await startControllerProcess(c);
  // Node 3 goes down (not a leave: it is simply offline).
  const down = await cli(['down', '--confirm', '--now', '--datafolder', c.nodes[2]!.datafolder], { cwd: c.root });
  expect(down.exitCode, down.stderr).toBe(0);
  await waitForMeta(c.nodes.slice(0, 2), 3);
});

afterAll(async () => {
  await ctl?.stop().catch(() => undefined);
  await c?.teardown();
  await root?.remove();
});

describe('leave with a node already down', () => {
  it('is refused with the numbers (exit 3); the node keeps running; the refusal is audited', async () => {
    const n2 = c.nodes[1]!;
    const pid = await n2.pid();
    const r = await cli(['leave', '--confirm', '--datafolder', n2.datafolder], { cwd: c.root });
    if (r.exitCode !== 3) console.log(ctl.logs.slice(-6).join('\n'));
    expect(r.exitCode, r.stderr).toBe(3);
    expect(r.stderr).toMatch(/error\[ERR-CTL-0004\]/);
    expect(r.stderr).toMatch(/meta group: 1 of 3 peers would remain, quorum 2/);
    expect(r.stderr).toMatch(/KV_nbs_audit \(R3\): 1 of 3 peers would remain, quorum 2/);
    expect(() => process.kill(pid!, 0)).not.toThrow();
    const meta = await metaView(c.nodes[0]!);
    expect(meta?.cluster_size).toBe(3);
    const state = JSON.parse(await readFile(join(n2.datafolder, 'state.json'), 'utf8')) as { left: unknown };
    expect(state.left).toBeNull();
    const recs = (await auditRecords()).filter((x) => x.action === 'leave');
    expect(recs).toHaveLength(1);
    expect(recs[0]).toMatchObject({ phase: 'refused', error: { code: 'quorum' }, params: { server_name: n2.name } });
  });

  it('--json carries the plan in the error data', async () => {
    const r = await cli(['leave', '--confirm', '--datafolder', c.nodes[1]!.datafolder, '--json'], { cwd: c.root });
    expect(r.exitCode, r.stderr).toBe(3);
    const out = r.json<{ ok: boolean; error: { id: string; data: { plan: { meta: { remaining_online: number; size: number; quorum: number } } } } }>();
    expect(out.error.id).toBe('ERR-CTL-0004');
    expect(out.error.data.plan.meta).toMatchObject({ remaining_online: 1, size: 3, quorum: 2 });
  });

  let forcedId = '';
  it('with --force it proceeds: the node stops; without quorum the removal stays pending (exit 1)', async () => {
    const n2 = c.nodes[1]!;
    const pid = await n2.pid();
    const r = await cli(['leave', '--confirm', '--force', '--datafolder', n2.datafolder, '--json'], { cwd: c.root });
    expect(r.exitCode, r.stderr).toBe(1);
    const out = r.json<{ status: string; stopped: boolean; forced: boolean; request_id: string; reason: string }>();
    expect(out).toMatchObject({ status: 'pending', stopped: true, forced: true });
    expect(validate('leave.schema.json', out)).toEqual([]);
    forcedId = out.request_id;
    expect(await isProcessAlive(pid!)).toBe(false); // exited (a zombie awaiting reaping counts as gone)
    const state = JSON.parse(await readFile(join(n2.datafolder, 'state.json'), 'utf8')) as { left: { result: string } };
    expect(state.left.result).toBe('pending');
    // The audit bucket (R3) has no quorum either: the controller could not even record `removing`,
    // so it did not act; the record still says `accepted` (forced).
    expect(out.reason).toMatch(/no quorum|no reply/);
    // status shows the pending leave of this node.
    const st = await cli(['status', '--datafolder', n2.datafolder, '--json'], { cwd: c.root });
    const node = st.json<{ node: { pending_leave: { request_id: string } | null; left: { result: string } | null } }>().node;
    expect(node.pending_leave?.request_id).toBe(forcedId);
    expect(node.left?.result).toBe('pending');
  });

  it('once the down node is back, the same leave completes through another server', async () => {
    const up = await c.up(c.nodes[2]!);
    expect(up.exitCode, up.stderr).toBe(0);
    await waitForMeta([c.nodes[0]!, c.nodes[2]!], 3);
    const r = await cli(['leave', '--confirm', '--datafolder', c.nodes[1]!.datafolder, '--json'], { cwd: c.root });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.json<{ status: string; request_id: string }>();
    expect(out).toMatchObject({ status: 'removed', request_id: forcedId });
    await waitForMeta([c.nodes[0]!, c.nodes[2]!], 2);
    const rec = (await auditRecords()).find((x) => x.request_id === forcedId);
    expect(rec?.phase).toBe('done');
    expect(rec?.params.force).toBe(true);
    expect(rec?.history.map((h) => h.phase)).toEqual(['received', 'accepted', 'removing', 'done']);
  });

  it('controller unreachable: the node does not stop; --stop-anyway stops it and says the removal is pending', async () => {
    const code = await ctl.stop();
    expect(code).toBe(0);
    expect(ctl.logs.join('\n')).toMatch(/controller stopped/);
    const n3 = c.nodes[2]!;
    const pid = await n3.pid();
    const r = await cli(['leave', '--confirm', '--timeout', '5', '--datafolder', n3.datafolder], { cwd: c.root });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/error\[ERR-CTL-0001\]: no controller is listening/);
    expect(await isProcessAlive(pid!)).toBe(true);
    expect((JSON.parse(await readFile(join(n3.datafolder, 'state.json'), 'utf8')) as { left: unknown }).left).toBeNull();

    const anyway = await cli(['leave', '--confirm', '--stop-anyway', '--timeout', '5', '--datafolder', n3.datafolder, '--json'], { cwd: c.root });
    expect(anyway.exitCode).toBe(1);
    const out = anyway.json<{ status: string; stopped: boolean; reason: string }>();
    expect(out).toMatchObject({ status: 'pending', stopped: true });
    expect(out.reason).toMatch(/removal is still pending/);
    expect(await isProcessAlive(pid!)).toBe(false);
    expect((JSON.parse(await readFile(join(n3.datafolder, 'state.json'), 'utf8')) as { left: { result: string } }).left.result).toBe('pending');
  });
});
