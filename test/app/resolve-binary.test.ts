import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectResolution, resolveBinary, type ResolveOptions } from '../../src/app/resolve-binary.js';
import type { LoadedConfig } from '../../src/domain/config.js';
import { NbsError } from '../../src/domain/errors.js';
import { natsServerBin, natsServerVersion, tempDir } from '../support/nats-harness.js';
import { fakeServer } from './fake-binaries.js';

/**
 * Each stage wins when set and falls through with the right reason when broken. Fake servers
 * print distinct versions so the winner is visible: cli 9.9.1, config 9.9.2, env 9.9.3,
 * bin-dir 9.9.4, PATH 9.9.5.
 */
describe('nats-server resolution against real files', () => {
  let root: string;
  let remove: () => Promise<void>;
  const fakes: Record<string, string> = {};
  const noConfig: LoadedConfig = { path: null, source: 'none', values: {} };

  beforeAll(async () => {
    ({ path: root, remove } = await tempDir('nbs-resolve-'));
    fakes['cli'] = await fakeServer(join(root, 'cli'), '9.9.1');
    fakes['config'] = await fakeServer(join(root, 'cfg', 'tools'), '9.9.2');
    fakes['env'] = await fakeServer(join(root, 'env'), '9.9.3');
    fakes['bin-dir'] = await fakeServer(join(root, 'bindir'), '9.9.4');
    fakes['path'] = await fakeServer(join(root, 'pathdir'), '9.9.5');
    await mkdir(join(root, 'a-folder'));
    await fakeServer(join(root, 'noexec'), '0.0.0', { mode: 0o644 });
    await fakeServer(join(root, 'broken'), '0.0.0', { exitCode: 3 });
  });
  afterAll(async () => remove());

  const all = (): ResolveOptions => ({
    cliPath: fakes['cli'],
    config: { path: join(root, 'cfg', 'nats-config.json'), source: 'flag', values: { nats_server_path: 'tools/nats-server', bin_dir: join(root, 'bindir') } },
    env: { NATS_SERVER_PATH: fakes['env'], PATH: join(root, 'pathdir') },
    cwd: root,
    platform: 'linux',
    home: root,
  });

  it('cli wins when every stage is set', async () => {
    const r = await resolveBinary(all());
    expect([r.source, r.path, r.version]).toEqual(['cli', fakes['cli'], '9.9.1']);
    expect(r.attempts).toHaveLength(1);
  });

  it('config wins without cli (relative path taken from the config file folder)', async () => {
    const r = await resolveBinary({ ...all(), cliPath: undefined });
    expect([r.source, r.path, r.version]).toEqual(['config', fakes['config'], '9.9.2']);
    expect(r.attempts.map((a) => [a.source, a.reason])).toEqual([
      ['cli', 'not set'],
      ['config', 'ok'],
    ]);
  });

  it('env wins without cli and config; NATS_SERVER_BIN is the compat name', async () => {
    const base = { ...all(), cliPath: undefined, config: { ...noConfig, values: { bin_dir: join(root, 'bindir') } } };
    const r = await resolveBinary(base);
    expect([r.source, r.version]).toEqual(['env', '9.9.3']);
    const compat = await resolveBinary({ ...base, env: { NATS_SERVER_BIN: fakes['env'], PATH: join(root, 'pathdir') } });
    expect([compat.source, compat.version, compat.attempts.at(-1)?.origin]).toEqual(['env', '9.9.3', 'NATS_SERVER_BIN']);
  });

  it('bin-dir wins next (config bin_dir), then PATH', async () => {
    const base = { ...all(), cliPath: undefined, config: { ...noConfig, values: { bin_dir: join(root, 'bindir') } }, env: { PATH: join(root, 'pathdir') } };
    const r = await resolveBinary(base);
    expect([r.source, r.path, r.version]).toEqual(['bin-dir', fakes['bin-dir'], '9.9.4']);
    const p = await resolveBinary({ ...base, config: noConfig });
    expect([p.source, p.path, p.version]).toEqual(['path', fakes['path'], '9.9.5']);
    // default bin folder: ~/.nats-bootstrap/bin under the given home
    expect(p.attempts.find((a) => a.source === 'bin-dir')?.candidate).toBe(join(root, '.nats-bootstrap', 'bin', 'nats-server'));
  });

  it('falls through broken stages with not found / not a file / not executable, down to the real nats-server on PATH', async () => {
    const realDir = dirname(natsServerBin());
    const report = await inspectResolution({
      cliPath: join(root, 'missing', 'nats-server'),
      config: { path: join(root, 'cfg', 'nats-config.json'), source: 'flag', values: { nats_server_path: join(root, 'a-folder'), bin_dir: join(root, 'empty-bin') } },
      env: { NATS_SERVER_PATH: join(root, 'noexec', 'nats-server'), PATH: `${join(root, 'nothing-here')}:${realDir}` },
      cwd: root,
      platform: 'linux',
    });
    expect(report.attempts.map((a) => [a.source, a.ok, a.reason])).toEqual([
      ['cli', false, 'not found'],
      ['config', false, 'not a file'],
      ['env', false, 'not executable'],
      ['bin-dir', false, 'not found'],
      ['path', true, 'ok'],
    ]);
    expect(report.attempts.map((a) => a.candidate)).toEqual([
      join(root, 'missing', 'nats-server'),
      join(root, 'a-folder'),
      join(root, 'noexec', 'nats-server'),
      join(root, 'empty-bin', 'nats-server'),
      join(realDir, 'nats-server'),
    ]);
    expect(report.selected?.path).toBe(join(realDir, 'nats-server'));
    expect(report.selected?.version).toBe(natsServerVersion());
  });

  it('resolves the real Debian nats-server from PATH with its real version', async () => {
    const r = await resolveBinary({ config: noConfig, env: { PATH: process.env['PATH'] }, cwd: root, home: root });
    expect(r.source).toBe('path');
    expect(r.path).toBe(natsServerBin());
    expect(r.version).toBe(natsServerVersion());
    expect(r.version).toMatch(/^2\.\d+\.\d+/);
  });

  it('a failing --version is a warning, not an error', async () => {
    const r = await resolveBinary({ config: noConfig, env: { NATS_SERVER_PATH: join(root, 'broken', 'nats-server') }, cwd: root, home: root });
    expect([r.source, r.version]).toEqual(['env', null]);
    expect(r.versionWarning).toMatch(/--version failed/);
  });

  it('throws ERR-CORE-0001 listing every attempt when nothing resolves', async () => {
    const e = await resolveBinary({ config: noConfig, env: { PATH: '' }, cwd: root, home: root }).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(NbsError);
    expect((e as NbsError).id).toBe('ERR-CORE-0001');
    expect((e as NbsError).exitCode).toBe(1);
    expect((e as NbsError).details).toHaveLength(5);
    expect((e as NbsError).details.join('\n')).toMatch(/path: - \(not set\)/);
  });
});
