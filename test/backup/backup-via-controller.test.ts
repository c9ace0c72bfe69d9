/**
 * Issue 5 §4: `backup --via-controller` on a secured 3-node cluster (init, up --bundle, controller
 * start — all through the built CLI). The node asks with its node credential only; the controller
 * snapshots the APP account with its application-admin connection into <identity>/backups/…,
 * audits the request, and the result restores with the app-admin key.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { Kvm } from '@nats-io/kv';
import { headers } from '@nats-io/transport-node';
import { tempDir } from '../support/nats-harness.js';
import { validate } from '../../src/infra/json-schema.js';
import type { BackupManifest } from '../../src/domain/backup.js';
import { cli, connectWithSeed, startControllerProcess, startSecuredCluster, waitForMeta, type ControllerProcess, type SecuredCluster } from '../control-plane/secured-cluster.js';

let root: { path: string; remove: () => Promise<void> };
let c: SecuredCluster;
let ctl: ControllerProcess;

beforeAll(async () => {
  root = await tempDir('nbs-bkp-ctl-');
  c = await startSecuredCluster(root.path, 3);
  await waitForMeta(c.nodes, 3);
  ctl = await startControllerProcess(c);
  const nc = await connectWithSeed(await c.seed('app-admin'), c.urls);
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: 'EVENTS', subjects: ['events.>'], num_replicas: 3 });
  const js = jsm.jetstream();
  for (let i = 1; i <= 500; i++) {
    const h = headers();
    h.set('Seq', String(i));
    await js.publish(`events.${i % 3}`, `event ${i}`, { headers: h });
  }
  const kv = await new Kvm(nc).create('prefs', { history: 3 });
  for (let v = 0; v < 3; v++) await kv.put('theme', `t${v}`);
  await nc.close();
});

afterAll(async () => {
  await ctl?.stop().catch(() => undefined);
  await c?.teardown();
  await root?.remove();
});

describe('backup through the controller', () => {
  let output: string;

  it('a node asks with its node credential; the controller backs up the APP account into its own folder', async () => {
    const r = await cli(['backup', '--via-controller', '--all', '--datafolder', c.nodes[1]!.datafolder, '--json'], { cwd: c.root });
    expect(r.exitCode, r.stderr).toBe(0);
    const out = r.json<{ ok: boolean; via: string; request_id: string; status: string; result: { output: string; streams: Array<{ name: string; messages: number; last_seq: number }> } }>();
    expect(out).toMatchObject({ ok: true, via: 'controller', status: 'done' });
    expect(validate('backup.schema.json', out)).toEqual([]);
    expect(out.result.streams.map((s) => [s.name, s.messages, s.last_seq])).toEqual([
      ['EVENTS', 500, 500],
      ['KV_prefs', 3, 3],
    ]);
    output = out.result.output;
    expect(output.startsWith(join(c.identity, 'backups'))).toBe(true);
    expect(output).toContain(out.request_id);
    const manifest = JSON.parse(await readFile(join(output, 'manifest.json'), 'utf8')) as BackupManifest;
    expect(validate('backup-manifest.schema.json', manifest)).toEqual([]);
    expect(await readdir(output)).toEqual(expect.arrayContaining(['EVENTS', 'KV_prefs', 'manifest.json']));

    // audited: received → done, with the result
    const nc = await connectWithSeed(await c.seed('controller'), [c.urls[0]!]);
    const audit = await new Kvm(nc).open('nbs_audit');
    const rec = (await audit.get(out.request_id))!.json<{ action: string; phase: string; sender: string; result: { output: string }; history: Array<{ phase: string }> }>();
    await nc.close();
    expect(rec).toMatchObject({ action: 'backup', phase: 'done', sender: c.nodes[1]!.name, result: { output } });
    expect(rec.history.map((h) => h.phase)).toEqual(['received', 'done']);
  });

  it('refuses --output with --via-controller (the controller picks its folder)', async () => {
    const r = await cli(['backup', '--via-controller', '--all', '--output', 'x', '--datafolder', c.nodes[0]!.datafolder], { cwd: c.root });
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/error\[ERR-BKP-0001\]: --output cannot be combined with --via-controller/);
  });

  it('a missing stream is reported back as the controller\'s answer (exit 2)', async () => {
    const r = await cli(['backup', '--via-controller', '--stream', 'NOPE', '--datafolder', c.nodes[0]!.datafolder], { cwd: c.root });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stderr).toMatch(/controller backup failed: ERR-BKP-0001: stream "NOPE" not found/);
  });

  it('the controller\'s backup restores with the application-admin key', async () => {
    const nc = await connectWithSeed(await c.seed('app-admin'), c.urls);
    const jsm = await jetstreamManager(nc);
    await jsm.streams.delete('EVENTS');
    const r = await cli(['restore', '--input', output, '--stream', 'EVENTS', '--confirm', '--nkey', join(c.identity, 'controller', 'app-admin.nk'), '--server', c.urls.join(',')], { cwd: c.root });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/ok\s+EVENTS\s+500 msgs, last seq 500/);
    const m = await jsm.streams.getMessage('EVENTS', { seq: 250 });
    expect(m?.header.get('Seq')).toBe('250');
    expect((await jsm.streams.info('EVENTS')).config.num_replicas).toBe(3);
    await nc.close();
  });
});
