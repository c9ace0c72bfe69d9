/**
 * init, the node bundle, the rendered security section (checked by the real nats-server) and the
 * pure quorum math.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { initIdentity } from '../../src/app/init.js';
import { readBundle, readControllerDir } from '../../src/infra/bundle-file.js';
import { renderSecuredConfig } from '../../src/domain/secured-config.js';
import { checkGroup, planLeave, quorumOf } from '../../src/domain/quorum.js';
import { validate } from '../../src/infra/json-schema.js';
import { NbsError } from '../../src/domain/errors.js';
import { natsServerBin, tempDir } from '../support/nats-harness.js';
import { cli } from './secured-cluster.js';

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (cleanups.length) await cleanups.pop()!();
});
async function tmp() {
  const t = await tempDir('nbs-cp-id-');
  cleanups.push(t.remove);
  return t.path;
}

describe('init', () => {
  it('writes the bundle, the controller seeds (0600) and nats CLI contexts; the bundle validates', async () => {
    const dir = await tmp();
    const r = await initIdentity({ cluster: 'prod-1', out: join(dir, 'id'), seeds: ['a.example', 'b.example:7222'], cwd: dir });
    expect(r.seeds).toEqual(['a.example:6222', 'b.example:7222']);
    expect(validate('init.schema.json', r)).toEqual([]);
    const files = [r.bundle, ...(await readdir(r.controller_dir)).map((f) => join(r.controller_dir, f)), ...r.contexts.map((c) => c.file)];
    for (const f of files) expect((await stat(f)).mode & 0o777, f).toBe(0o600);
    const bundle = await readBundle(r.bundle);
    expect(bundle.cluster).toBe('prod-1');
    expect(bundle.users.map((u) => u.role).sort()).toEqual(['app-admin', 'app-user', 'controller', 'node', 'system']);
    const nodeUser = bundle.users.find((u) => u.role === 'node')!;
    expect(nodeUser.permissions).toEqual({ publish: { allow: ['nbs.prod-1.ctl.>'] }, subscribe: { allow: ['_INBOX_NBS_NODE.>'] } });
    // Only the node seed is in the bundle; the controller folder holds the rest.
    const id = await readControllerDir(join(dir, 'id'), dir);
    const text = await readFile(r.bundle, 'utf8');
    for (const s of Object.values(id.seeds)) expect(text).not.toContain(s);
    const ctx = JSON.parse(await readFile(r.contexts[0]!.file, 'utf8')) as { url: string; nkey: string };
    expect(ctx.url).toBe('nats://a.example:4222,nats://b.example:4222');
    expect(await readFile(ctx.nkey, 'utf8')).toContain(id.seeds.controller);
  });

  it('refuses to overwrite an identity (ERR-CTL-0003, exit 3) and changes nothing', async () => {
    const dir = await tmp();
    const r = await initIdentity({ cluster: 'c1', out: 'id', seeds: [], cwd: dir });
    const before = await readFile(r.bundle, 'utf8');
    const err = await initIdentity({ cluster: 'c1', out: 'id', seeds: [], cwd: dir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NbsError);
    expect((err as NbsError).id).toBe('ERR-CTL-0003');
    expect((err as NbsError).exitCode).toBe(3);
    expect(await readFile(r.bundle, 'utf8')).toBe(before);
  });

  it('validates input before writing anything (exit 2)', async () => {
    const dir = await tmp();
    for (const [cluster, seeds] of [['has space', []], ['a.b', []], ['ok', ['bad host!']], ['ok', ['h:99999']]] as const) {
      const err = await initIdentity({ cluster, out: 'id', seeds: [...seeds], cwd: dir }).catch((e: unknown) => e);
      expect((err as NbsError).exitCode, `${cluster} ${seeds.join()}`).toBe(2);
    }
    await mkdir(join(dir, 'busy'));
    await writeFile(join(dir, 'busy', 'x'), 'x');
    expect(((await initIdentity({ cluster: 'c', out: 'busy', seeds: [], cwd: dir }).catch((e: unknown) => e)) as NbsError).id).toBe('ERR-CTL-0002');
    expect((await readdir(dir)).sort()).toEqual(['busy']);
  });

  it('rejects a tampered bundle (node seed does not match the node user)', async () => {
    const dir = await tmp();
    const a = await initIdentity({ cluster: 'c1', out: 'a', seeds: [], cwd: dir });
    const b = await initIdentity({ cluster: 'c1', out: 'b', seeds: [], cwd: dir });
    const ba = JSON.parse(await readFile(a.bundle, 'utf8')) as { node_credential: { seed: string } };
    const bb = JSON.parse(await readFile(b.bundle, 'utf8')) as { node_credential: { seed: string } };
    ba.node_credential.seed = bb.node_credential.seed;
    await writeFile(join(dir, 'mixed.json'), JSON.stringify(ba));
    await expect(readBundle(join(dir, 'mixed.json'))).rejects.toThrow(/does not match/);
    await writeFile(join(dir, 'extra.json'), JSON.stringify({ ...ba, extra: 1 }));
    await expect(readBundle(join(dir, 'extra.json'))).rejects.toThrow(/unknown key "extra"/);
  });
});

describe('up --bundle input checks (nothing written)', () => {
  it('refuses a bundle of another cluster and an invalid bundle with exit 2', async () => {
    const dir = await tmp();
    const r = await initIdentity({ cluster: 'c1', out: 'id', seeds: [], cwd: dir });
    await writeFile(join(dir, 'broken.json'), '{"schema_version": 1');
    for (const [bundle, cluster, re] of [
      [r.bundle, 'other', /does not match the node bundle's cluster "c1"/],
      [join(dir, 'broken.json'), 'c1', /not valid JSON/],
      [join(dir, 'missing.json'), 'c1', /cannot read node bundle/],
    ] as const) {
      const out = await cli(['up', '--cluster', cluster, '--bundle', bundle, '--seed', '127.0.0.1:1', '--datafolder', join(dir, 'node'), '--detach'], { cwd: dir });
      expect(out.exitCode, out.stderr).toBe(2);
      expect(out.stderr).toMatch(/error\[ERR-CTL-0002\]/);
      expect(out.stderr).toMatch(re);
    }
    expect((await readdir(dir)).sort()).toEqual(['broken.json', 'id']);
  });
});

describe('secured config section', () => {
  it('nats-server accepts it; it holds public keys only and no open user', async () => {
    const dir = await tmp();
    const r = await initIdentity({ cluster: 'c1', out: 'id', seeds: [], cwd: dir });
    const bundle = await readBundle(r.bundle);
    const { block } = renderSecuredConfig(bundle);
    expect(block).not.toMatch(/\bS[A-Z]{2}[A-Z2-7]{50,}/); // no seed
    expect(block).not.toMatch(/no_auth_user|password/);
    expect(block).toContain('system_account: "SYS"');
    const conf = join(dir, 's.conf');
    await writeFile(conf, `server_name: t\nlisten: 127.0.0.1:-1\njetstream { store_dir: "${join(dir, 'js')}" }\n${block}`);
    expect(() => execFileSync(natsServerBin(), ['-t', '-c', conf], { stdio: 'pipe' })).not.toThrow();
  });

  it('the request schema knows every action; replies and audit records have schemas', () => {
    expect(validate('controller-request.schema.json', { schema_version: 1, request_id: 'a', action: 'leave', params: { server_name: 'n1', phase: 'prepare' } })).toEqual([]);
    expect(validate('controller-request.schema.json', { schema_version: 1, request_id: 'a', action: 'backup', params: { streams: ['S'] } })).toEqual([]);
    expect(validate('controller-request.schema.json', { schema_version: 1, request_id: 'a', action: 'ping', params: { x: 1 } })).not.toEqual([]);
  });
});

describe('quorum math', () => {
  const peers = (spec: string) => spec.split(',').map((x) => ({ name: x.replace('!', ''), online: !x.endsWith('!') }));

  it('Q = floor(M/2)+1', () => {
    expect([1, 2, 3, 4, 5].map(quorumOf)).toEqual([1, 2, 2, 3, 3]);
    expect(checkGroup('meta', peers('a,b,c,d'), 'd').summary).toBe('3 of 4 peers would remain, quorum 3');
  });

  it('4 healthy nodes: leaving one is fine, R3 streams on it keep quorum', () => {
    const plan = planLeave('d', { leader: 'a', peers: peers('a,b,c,d') }, [
      { account: 'APP', name: 'S', replicas: 3, peers: peers('b,c,d') },
      { account: 'APP', name: 'T', replicas: 3, peers: peers('a,b,c') },
    ]);
    expect(plan.ok).toBe(true);
    expect(plan.streams.map((s) => s.group)).toEqual(['APP/S']);
  });

  it('3 nodes, one down: leaving a second loses the meta quorum and the R3 streams', () => {
    const plan = planLeave('b', { leader: 'a', peers: peers('a,b,c!') }, [{ account: 'APP', name: 'S', replicas: 3, peers: peers('a,b,c!') }]);
    expect(plan.ok).toBe(false);
    expect(plan.reasons).toEqual(['meta group: 1 of 3 peers would remain, quorum 2', 'stream APP/S (R3): 1 of 3 peers would remain, quorum 2']);
    expect(plan.affected).toEqual(['meta', 'APP/S']);
  });

  it('an R1 stream on the leaving node is refused: its only copy is there', () => {
    const plan = planLeave('c', { leader: 'a', peers: peers('a,b,c') }, [{ account: 'APP', name: 'ONE', replicas: 1, peers: peers('c') }]);
    expect(plan.reasons[0]).toMatch(/APP\/ONE \(R1\): 0 of 1 peers would remain, quorum 1 — its only copy/);
  });

  it('not a member, or no leader, is refused', () => {
    expect(planLeave('x', { leader: 'a', peers: peers('a,b,c') }, []).is_meta_peer).toBe(false);
    expect(planLeave('c', { leader: null, peers: peers('a,b,c') }, []).ok).toBe(false);
  });
});
