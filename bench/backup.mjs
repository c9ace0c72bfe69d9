#!/usr/bin/env node
/**
 * Benchmark: backup and restore of a 256 MiB file-storage stream on one local nats-server,
 * through the BUILT CLI (`npm run build` first), against `tar -cf` of the stream's store folder
 * measured in the same run. Prints MiB/s, the ratios (goal: backup >= 0.5x tar, restore >= 0.3x)
 * and the CLI's peak RSS (goal < 200 MB), read from the child's own getrusage at exit.
 *
 *   npm run bench:backup            # 256 MiB
 *   BENCH_MIB=64 npm run bench:backup
 */
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const MIB = Number(process.env.BENCH_MIB ?? 256);
const MSG = 16 * 1024;
const STREAM = 'BENCH';
// Preloaded into the CLI child: report its peak RSS (getrusage ru_maxrss, KiB on Linux) at exit.
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('NBS_MAXRSS_KB '+process.resourceUsage().maxRSS+'\\n'))`;

const freePort = () =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });

async function folderBytes(dir) {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await folderBytes(p) : (await stat(p)).size;
  }
  return total;
}

function cli(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(process.execPath, ['--import', RSS_HOOK, CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      const rss = /NBS_MAXRSS_KB (\d+)/.exec(err);
      if (code !== 0) return reject(new Error(`nats-bootstrap ${args[0]} exited ${code}: ${err}`));
      resolve({ seconds, maxRssMB: rss ? Number(rss[1]) / 1024 : NaN, json: JSON.parse(out) });
    });
  });
}

const work = await mkdtemp(join(tmpdir(), 'nbs-bench-backup-'));
const port = await freePort();
const store = join(work, 'store');
const server = spawn('nats-server', ['-js', '-sd', store, '-a', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
const url = `nats://127.0.0.1:${port}`;
try {
  let nc;
  for (let i = 0; i < 100 && !nc; i++) {
    nc = await connect({ servers: url, timeout: 1000 }).catch(() => undefined);
    if (!nc) await new Promise((r) => setTimeout(r, 100));
  }
  if (!nc) throw new Error('nats-server did not start');
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: STREAM, subjects: ['bench.>'], max_msg_size: MSG * 2 });
  const js = jsm.jetstream();
  const count = Math.ceil((MIB * 1024 * 1024) / MSG);
  // Half random (incompressible), half repetitive: s2 neither wins nor loses everything.
  const repetitive = Buffer.alloc(MSG, 'nats-bootstrap ');
  process.stderr.write(`filling ${STREAM} with ${count} x ${MSG / 1024} KiB…\n`);
  for (let i = 0; i < count; i += 256) {
    const acks = [];
    for (let j = i; j < Math.min(count, i + 256); j++) acks.push(js.publish(`bench.${j % 16}`, j % 2 ? randomBytes(MSG) : repetitive));
    await Promise.all(acks);
  }
  const info = await jsm.streams.info(STREAM);
  await nc.close();
  const streamMiB = info.state.bytes / 1024 / 1024;

  // Baseline: tar of the stream's store folder (page cache is warm for both).
  const streamDir = join(store, 'jetstream', '$G', 'streams', STREAM);
  const storeMiB = (await folderBytes(streamDir)) / 1024 / 1024;
  // Median of 3, each after `sync` so no step pays for another one's dirty pages.
  const tarRuns = [];
  for (let i = 0; i < 3; i++) {
    await run('sync');
    const t0 = process.hrtime.bigint();
    // GNU tar exits 1 when a file changed while read (the server may still update its index): fine here.
    await run('tar', ['-cf', join(work, 'baseline.tar'), '--warning=no-file-changed', '-C', join(store, 'jetstream', '$G', 'streams'), STREAM]).catch((e) => {
      if (e.code !== 1) throw e;
    });
    tarRuns.push(Number(process.hrtime.bigint() - t0) / 1e9);
    await rm(join(work, 'baseline.tar'));
  }
  const tarSeconds = tarRuns.sort((a, b) => a - b)[1];

  await run('sync');
  const backup = await cli(['backup', '--stream', STREAM, '--output', join(work, 'backup'), '--server', url, '--json']);
  const archiveMiB = backup.json.total_bytes / 1024 / 1024;

  nc = await connect({ servers: url });
  await (await jetstreamManager(nc)).streams.delete(STREAM);
  await nc.close();
  await run('sync');
  const restore = await cli(['restore', '--input', join(work, 'backup'), '--confirm', '--server', url, '--json']);
  if (!restore.json.ok) throw new Error(`restore check failed: ${JSON.stringify(restore.json.streams)}`);

  const rate = (mib, s) => mib / s;
  const tarRate = rate(storeMiB, tarSeconds);
  const backupRate = rate(streamMiB, backup.seconds);
  const restoreRate = rate(streamMiB, restore.seconds);
  const lines = [
    `stream ${STREAM}: ${info.state.messages} msgs, ${streamMiB.toFixed(1)} MiB (store folder ${storeMiB.toFixed(1)} MiB, archive ${archiveMiB.toFixed(1)} MiB)`,
    `tar -cf store folder : ${tarSeconds.toFixed(2)} s  ${tarRate.toFixed(0)} MiB/s  (median of ${tarRuns.map((t) => t.toFixed(2)).join(', ')} s)`,
    `backup (CLI, wall)   : ${backup.seconds.toFixed(2)} s  ${backupRate.toFixed(0)} MiB/s  ratio ${(backupRate / tarRate).toFixed(2)}x tar (goal >= 0.5x)`,
    `  in-process         : ${(backup.json.duration_ms / 1000).toFixed(2)} s  ratio ${(tarSeconds / (backup.json.duration_ms / 1000)).toFixed(2)}x tar (without node start-up and connect)`,
    `restore (CLI, wall)  : ${restore.seconds.toFixed(2)} s  ${restoreRate.toFixed(0)} MiB/s  ratio ${(restoreRate / tarRate).toFixed(2)}x tar (goal >= 0.3x)`,
    `  in-process         : ${(restore.json.duration_ms / 1000).toFixed(2)} s  ratio ${(tarSeconds / (restore.json.duration_ms / 1000)).toFixed(2)}x tar (without start-up, connect and the checksum pass)`,
    `peak RSS of the CLI  : backup ${backup.maxRssMB.toFixed(0)} MB, restore ${restore.maxRssMB.toFixed(0)} MB (goal < 200 MB)`,
  ];
  console.log(lines.join('\n'));
} finally {
  server.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
}
