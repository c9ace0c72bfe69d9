#!/usr/bin/env node
/**
 * Benchmark: backup and restore of a 256 MiB file-storage stream on one local nats-server,
 * through the BUILT CLI (`npm run build` first), against `tar -cf` of the stream's store folder
 * measured in the same run. Prints MiB/s, the ratios (goal: backup >= 0.5x tar, restore >= 0.3x)
 * and the CLI's peak RSS (goal < 200 MB), read from the child's own getrusage at exit.
 * Each of BENCH_REPS runs (default 5) does tar and the CLI backup in alternating order, each after
 * `sync` with the store in the page cache, then deletes the stream and restores it with the CLI;
 * the report gives medians and every run.
 *
 *   npm run bench:backup            # 256 MiB, 5 runs
 *   BENCH_MIB=64 BENCH_REPS=3 npm run bench:backup
 */
import { spawn, execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, readdir, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { jetstreamManager } from '@nats-io/jetstream';
import { freePort } from './free-port.mjs';

const run = promisify(execFile);
const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const MIB = Number(process.env.BENCH_MIB ?? 256);
const REPS = Math.max(1, Number(process.env.BENCH_REPS ?? 5));
const MSG = 16 * 1024;
const STREAM = 'BENCH';
// Preloaded into the CLI child: report its peak RSS (getrusage ru_maxrss, KiB on Linux) at exit.
const RSS_HOOK = `data:text/javascript,process.on('exit',()=>process.stderr.write('NBS_MAXRSS_KB '+process.resourceUsage().maxRSS+'\\n'))`;


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

  // Every measured step starts after `sync` (nobody pays for another step's dirty pages) and
  // reads the store from a warm page cache (it was just written). Each repetition runs `tar` and
  // the CLI backup in alternating order, then the CLI restore; medians over all repetitions.
  const streamsDir = join(store, 'jetstream', '$G', 'streams');
  const tarOnce = async () => {
    await run('sync');
    const t0 = process.hrtime.bigint();
    // GNU tar exits 1 when a file changed while read (the server may still update its index): fine here.
    await run('tar', ['-cf', join(work, 'baseline.tar'), '--warning=no-file-changed', '-C', streamsDir, STREAM]).catch((e) => {
      if (e.code !== 1) throw e;
    });
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
    await rm(join(work, 'baseline.tar'));
    return seconds;
  };
  const runs = { tar: [], backup: [], backupIn: [], restore: [], restoreIn: [], rssB: [], rssR: [], storeMiB: [], archiveMiB: [] };
  for (let rep = 0; rep < REPS; rep++) {
    runs.storeMiB.push((await folderBytes(join(streamsDir, STREAM))) / 1024 / 1024);
    const out = join(work, `backup-${rep}`);
    const backupOnce = async () => {
      await run('sync');
      const b = await cli(['backup', '--stream', STREAM, '--output', out, '--server', url, '--json']);
      runs.backup.push(b.seconds);
      runs.backupIn.push(b.json.duration_ms / 1000);
      runs.rssB.push(b.maxRssMB);
      runs.archiveMiB.push(b.json.total_bytes / 1024 / 1024);
    };
    if (rep % 2 === 0) {
      runs.tar.push(await tarOnce());
      await backupOnce();
    } else {
      await backupOnce();
      runs.tar.push(await tarOnce());
    }
    nc = await connect({ servers: url });
    await (await jetstreamManager(nc)).streams.delete(STREAM);
    await nc.close();
    await run('sync');
    const r = await cli(['restore', '--input', out, '--confirm', '--server', url, '--json']);
    if (!r.json.ok) throw new Error(`restore check failed: ${JSON.stringify(r.json.streams)}`);
    runs.restore.push(r.seconds);
    runs.restoreIn.push(r.json.duration_ms / 1000);
    runs.rssR.push(r.maxRssMB);
    await rm(out, { recursive: true, force: true });
    process.stderr.write(`run ${rep + 1}/${REPS}: tar ${runs.tar[rep].toFixed(2)} s, backup ${runs.backup[rep].toFixed(2)} s, restore ${runs.restore[rep].toFixed(2)} s\n`);
  }

  const median = (xs) => {
    const s = [...xs].sort((a, b) => a - b);
    const m = Math.floor(s.length / 2);
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
  };
  const all = (xs) => xs.map((x) => x.toFixed(2)).join(' ');
  const tarSeconds = median(runs.tar);
  const storeMiB = median(runs.storeMiB);
  const tarRate = storeMiB / tarSeconds;
  const line = (label, xs, goal) => {
    const s = median(xs);
    const rate = streamMiB / s;
    return `${label}: ${s.toFixed(2)} s  ${rate.toFixed(0)} MiB/s  ratio ${(rate / tarRate).toFixed(2)}x tar${goal ? ` (goal >= ${goal}x)` : ''}  [${all(xs)}]`;
  };
  const lines = [
    `stream ${STREAM}: ${info.state.messages} msgs, ${streamMiB.toFixed(1)} MiB (store folder ${storeMiB.toFixed(1)} MiB, archive ${median(runs.archiveMiB).toFixed(1)} MiB); medians of ${REPS} runs [each run]`,
    `tar -cf store folder : ${tarSeconds.toFixed(2)} s  ${tarRate.toFixed(0)} MiB/s  [${all(runs.tar)}]`,
    line('backup (CLI, wall)   ', runs.backup, 0.5),
    line('  in-process         ', runs.backupIn) + ' (without node start-up and connect)',
    line('restore (CLI, wall)  ', runs.restore, 0.3),
    line('  in-process         ', runs.restoreIn) + ' (without start-up, connect and the checksum pass)',
    `peak RSS of the CLI  : backup ${Math.max(...runs.rssB).toFixed(0)} MB, restore ${Math.max(...runs.rssR).toFixed(0)} MB (max of ${REPS}; goal < 200 MB)`,
  ];
  console.log(lines.join('\n'));
} finally {
  server.kill('SIGKILL');
  await rm(work, { recursive: true, force: true });
}
