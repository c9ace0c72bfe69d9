import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctor } from '../../src/app/doctor.js';
import { DOCTOR_CHECKS, type DoctorCheck } from '../../src/app/doctor-checks.js';
import { tryBind } from '../../src/infra/port-probe.js';
import { tempDir } from '../support/nats-harness.js';
import { freePort } from '../support/ports.js';

/** The doctor use case with its check list: how a later check (e.g. `controller`) plugs in. */
describe('doctor checks list', () => {
  let dir: { path: string; remove: () => Promise<void> };
  beforeAll(async () => {
    dir = await tempDir('nbs-doctor-app-');
  });
  afterAll(async () => dir.remove());

  const input = () => ({ global: {}, env: { PATH: process.env['PATH'], HOME: dir.path }, cwd: dir.path, datafolder: 'data' });

  it('has stable, unique check IDs', () => {
    const ids = DOCTOR_CHECKS.map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(['resolution', 'version', 'config', 'node-state', 'pid', 'ports', 'datafolder', 'nats-cli', 'controller']);
  });

  it('documents every check ID in docs/troubleshooting.md', () => {
    const doc = readFileSync(new URL('../../docs/troubleshooting.md', import.meta.url), 'utf8');
    for (const c of DOCTOR_CHECKS) expect(doc, c.id).toContain(`### \`${c.id}\``);
  });

  it('runs an appended check only when enabled, and keeps list order', async () => {
    const controller: DoctorCheck = {
      id: 'controller',
      title: 'controller reachable',
      enabled: (ctx) => ctx.options.controller,
      run: async (ctx) => ({ status: 'ok', message: `asked from ${ctx.node.datafolder}`, hint: null }),
    };
    const checks = [...DOCTOR_CHECKS.filter((c) => c.id === 'config'), controller];
    const off = await doctor({ ...input(), checks });
    expect(off.checks.map((c) => c.id)).toEqual(['config']);
    const on = await doctor({ ...input(), checks, options: { controller: true } });
    expect(on.checks.map((c) => [c.id, c.status])).toEqual([
      ['config', 'ok'],
      ['controller', 'ok'],
    ]);
  });

  it('turns a crashing check into a fail and ok=false', async () => {
    const boom: DoctorCheck = { id: 'boom', title: 'boom', run: () => Promise.reject(new Error('kaput')) };
    const r = await doctor({ ...input(), checks: [boom] });
    expect(r.ok).toBe(false);
    expect(r.checks[0]).toMatchObject({ id: 'boom', status: 'fail', message: 'check crashed: kaput' });
    expect(r.summary).toEqual({ ok: 0, warn: 0, fail: 1 });
  });

  it('without a controller check in the list, --controller gives a warning instead of silence', async () => {
    const r = await doctor({ ...input(), checks: [], options: { controller: true } });
    expect(r.checks).toEqual([expect.objectContaining({ id: 'controller', status: 'warn' })]);
    expect(r.ok).toBe(true);
  });

  it('tryBind sees a port held on loopback as in use and a free port as free', async () => {
    const port = await freePort();
    expect(await tryBind(port)).toBeNull();
    const srv = createServer();
    await new Promise<void>((r) => srv.listen(port, '127.0.0.1', () => r()));
    try {
      expect(await tryBind(port)).toBe('EADDRINUSE');
    } finally {
      await new Promise((r) => srv.close(r));
    }
  });
});
