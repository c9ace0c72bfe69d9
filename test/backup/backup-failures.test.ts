/**
 * Failure paths on a single real nats-server: the server dies in the middle of a backup (through
 * the library and through the CLI) → a clear error and no manifest claiming success; bad input is
 * refused with exit 2 before anything changes; an unreachable server is ERR-CORE-0009.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { jetstreamManager } from '@nats-io/jetstream';
import { startServer, tempDir, waitFor, type TestServer } from '../support/nats-harness.js';
import { freePort } from '../support/ports.js';
import { CLI, runCli } from '../support/cli-run.js';
import { openConnection } from '../../src/infra/nats-connection.js';
import { runBackup } from '../../src/app/backup.js';
import { NbsError } from '../../src/domain/errors.js';
import type { BackupManifest } from '../../src/domain/backup.js';

const BIG = 'BIG';
const CHUNK = 32 * 1024;
const BIG_MSGS = 1600; // ~50 MiB of incompressible data

describe('backup and restore failure paths (single server)', () => {
  let server: TestServer;
  let work: { path: string; remove: () => Promise<void> };
  const env = () => ({ PATH: process.env['PATH'], HOME: work.path });
  const cli = (args: string[]) => runCli(args, { cwd: work.path, env: env(), timeoutMs: 60_000 });

  beforeAll(async () => {
    try {
      execFileSync('npx', ['tsc', '-p', 'tsconfig.json'], { cwd: join(import.meta.dirname, '../..'), stdio: 'ignore' });
    } catch {
      /* dist is emitted even when another file has a type error */
    }
    work = await tempDir('nbs-bkpfail-');
    server = await startServer({ name: 'bkp-single' });
    const nc = await openConnection({ servers: [server.url], reconnect: false });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: BIG, subjects: ['big.>'] });
    const js = jsm.jetstream();
    for (let i = 0; i < BIG_MSGS; i += 50) {
      await Promise.all(Array.from({ length: 50 }, () => js.publish('big.data', randomBytes(CHUNK))));
    }
    await nc.close();
  });

  afterAll(async () => {
    await server?.kill();
    await work?.remove();
  });

  it('server killed in the middle of a backup (library): ERR-BKP-0002, no manifest, partial files removed', async () => {
    const nc = await openConnection({ servers: [server.url], reconnect: false });
    const out = join(work.path, 'killed-lib');
    let killedAt = -1;
    const err = await runBackup(
      nc,
      { streams: [BIG], all: false, output: out },
      {
        progress: {
          bytes: (_n, written) => {
            if (killedAt < 0) {
              killedAt = written;
              server.process.kill('SIGKILL');
            }
          },
        },
      },
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    await nc.close().catch(() => undefined);
    await server.restart();
    expect(killedAt).toBeGreaterThan(0);
    expect(err).toBeInstanceOf(NbsError);
    const e = err as NbsError;
    expect(e.id).toBe('ERR-BKP-0002');
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/snapshot of stream "BIG" failed after \d+ bytes: the connection to the server was (lost|closed)/);
    expect(e.details.join('\n')).toMatch(/no manifest was written/);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
    expect(existsSync(join(out, BIG))).toBe(false);
  });

  it('server killed in the middle of a backup (CLI): exit 1 with a clear error, no manifest', async () => {
    const out = join(work.path, 'killed-cli');
    const child = execa(process.execPath, [CLI, 'backup', '--stream', BIG, '--output', out, '--server', server.url], {
      cwd: work.path,
      env: env(),
      extendEnv: false,
      reject: false,
      stdin: 'ignore',
    });
    // The data file is created just before the snapshot request: freeze the server then, and kill it.
    await waitFor('snapshot file', async () => existsSync(join(out, BIG, 'stream.tar.s2')), 30_000, 2);
    server.process.kill('SIGSTOP');
    server.process.kill('SIGKILL');
    const r = await child;
    await server.restart();
    expect(r.exitCode, String(r.stderr)).toBe(1);
    expect(String(r.stderr)).toMatch(/error\[ERR-BKP-0002\]: snapshot of stream "BIG" failed after \d+ bytes/);
    expect(String(r.stderr)).toMatch(/no manifest was written/);
    expect(existsSync(join(out, 'manifest.json'))).toBe(false);
  });

  it('refuses bad backup input with exit 2 before writing anything', async () => {
    // (memory streams do not survive the restarts above: create it here)
    const nc = await openConnection({ servers: [server.url], reconnect: false });
    await (await jetstreamManager(nc)).streams.add({ name: 'MEMS', subjects: ['mems.>'], storage: 'memory' as never });
    await nc.close();
    const mem = await cli(['backup', '--stream', 'MEMS', '--output', 'o1', '--server', server.url]);
    expect(mem.exitCode).toBe(2);
    expect(mem.stderr).toMatch(/error\[ERR-BKP-0001\]: stream "MEMS" uses memory storage/);
    const missing = await cli(['backup', '--kv', 'nope', '--output', 'o2', '--server', server.url]);
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toMatch(/KV bucket "nope" \(stream KV_nope\) not found/);
    const none = await cli(['backup', '--output', 'o3', '--server', server.url]);
    expect(none.exitCode).toBe(2);
    const both = await cli(['backup', '--all', '--stream', BIG, '--output', 'o4']);
    expect(both.exitCode).toBe(2);
    expect(await readdir(work.path)).not.toEqual(expect.arrayContaining(['o1', 'o2', 'o3', 'o4']));
  });

  it('a folder without manifest (interrupted backup) or with a symlinked stream folder is refused (exit 2)', async () => {
    await mkdir(join(work.path, 'partial', BIG), { recursive: true });
    const partial = await cli(['restore', '--input', 'partial', '--confirm', '--server', server.url]);
    expect(partial.exitCode).toBe(2);
    expect(partial.stderr).toMatch(/error\[ERR-BKP-0004\].*manifest\.json is missing/);

    const ok = await cli(['backup', '--stream', BIG, '--output', 'good', '--server', server.url]);
    expect(ok.exitCode, ok.stderr).toBe(0);
    const { cp, rename } = await import('node:fs/promises');
    await cp(join(work.path, 'good'), join(work.path, 'linked'), { recursive: true });
    await rename(join(work.path, 'linked', BIG), join(work.path, 'elsewhere'));
    await symlink(join(work.path, 'elsewhere'), join(work.path, 'linked', BIG));
    const linked = await cli(['restore', '--input', 'linked', '--confirm', '--replace', '--server', server.url]);
    expect(linked.exitCode).toBe(2);
    expect(linked.stderr).toMatch(/BIG\/ is not a plain folder \(symbolic link\)/);

    const notInBackup = await cli(['restore', '--input', 'good', '--stream', 'OTHER', '--confirm', '--server', server.url]);
    expect(notInBackup.exitCode).toBe(2);
    expect(notInBackup.stderr).toMatch(/stream "OTHER" is not in this backup/);
  });

  it('a stream the server refuses to restore is reported FAILED (exit 1); --replicas 1 then restores it', async () => {
    const nc = await openConnection({ servers: [server.url], reconnect: false });
    const jsm = await jetstreamManager(nc);
    await jsm.streams.add({ name: 'SMALL', subjects: ['small.>'] });
    for (let i = 0; i < 10; i++) await jsm.jetstream().publish('small.x', `m${i}`);
    const b = await cli(['backup', '--stream', 'SMALL', '--output', 'small', '--server', server.url]);
    expect(b.exitCode, b.stderr).toBe(0);
    // Turn it into a backup of an R3 stream (checksums updated: a valid backup, not a tampered one).
    const metaPath = join(work.path, 'small', 'SMALL', 'backup.json');
    const meta = JSON.parse(await readFile(metaPath, 'utf8')) as { config: { num_replicas: number } };
    meta.config.num_replicas = 3;
    const text = JSON.stringify(meta, null, 2);
    await writeFile(metaPath, text);
    const manifestPath = join(work.path, 'small', 'manifest.json');
    const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as BackupManifest;
    manifest.streams[0]!.files['backup.json'] = { sha256: createHash('sha256').update(text).digest('hex'), size: Buffer.byteLength(text) };
    await writeFile(manifestPath, JSON.stringify(manifest));
    await jsm.streams.delete('SMALL');

    const failed = await cli(['restore', '--input', 'small', '--confirm', '--server', server.url]);
    expect(failed.exitCode, failed.stderr).toBe(1);
    expect(failed.stdout).toMatch(/FAILED SMALL/);
    expect(failed.stdout).toMatch(/problem: /);
    expect(failed.stdout).toMatch(/1 of 1 streams FAILED/);
    const ok = await cli(['restore', '--input', 'small', '--confirm', '--replicas', '1', '--server', server.url]);
    expect(ok.exitCode, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(/ok\s+SMALL\s+10 msgs, last seq 10/);
    await nc.close();
  });

  it('an unreachable server is ERR-CORE-0009 (exit 1)', async () => {
    const port = await freePort();
    const r = await cli(['backup', '--all', '--output', 'unreachable', '--server', `nats://127.0.0.1:${port}`]);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/error\[ERR-CORE-0009\]/);
    expect(existsSync(join(work.path, 'unreachable'))).toBe(false);
  });
});
