#!/usr/bin/env node
/**
 * Benchmark: time from starting three `nats-bootstrap up --detach` (the BUILT CLI; `npm run build`
 * first) until all three are ready, divided by the same for three raw `nats-server -c` with
 * equivalent hand-written configs — same run, alternating, a few repetitions; medians and ratio
 * (goal: <= 1.2). Readiness is judged the same way for both: the CLI's own probe
 * (healthz + meta leader + routes, `probeReadiness` from dist/infra/nats-server-process.js);
 * for nats-bootstrap the clock also waits for the three CLI processes to return.
 *
 * The CLI's clock starts before Node.js does, so Node's own start-up counts (it is the tool's real
 * cost). What does not count: `NODE_EXTRA_CA_CERTS`, which makes every Node.js process read and
 * parse a CA bundle before any code runs (~40 ms per process on the development machine, whose
 * environment sets it; `up` makes no TLS connection). It is removed from the CLIs' environment
 * unless BENCH_KEEP_ENV=1 — the bench prints which one it measured.
 * The meta-leader election has a random 100–800 ms campaign timer per server, so single runs
 * scatter widely for both sides: use enough repetitions.
 *
 *   npm run bench:cluster-up            # 21 repetitions
 *   BENCH_REPS=41 npm run bench:cluster-up
 *   BENCH_KEEP_ENV=1 npm run bench:cluster-up
 */
import { spawn, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { probeReadiness } from '../dist/infra/nats-server-process.js';
import { freePort } from './free-port.mjs';

const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const REPS = Number(process.env.BENCH_REPS ?? 21);
const KEEP_ENV = process.env.BENCH_KEEP_ENV === '1';
const BIN = process.env.NATS_SERVER_PATH || execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();


async function portSets() {
  const seen = new Set();
  while (seen.size < 9) seen.add(await freePort());
  const p = [...seen];
  return [0, 1, 2].map((i) => ({ client: p[3 * i], cluster: p[3 * i + 1], http: p[3 * i + 2] }));
}

/** Poll like `up --detach` does (25 ms until listening, then 50 ms) until all three are ready. */
async function allReady(sets, timeoutMs = 60_000) {
  const deadline = Date.now() + timeoutMs;
  const done = new Set();
  while (done.size < sets.length) {
    if (Date.now() > deadline) throw new Error('not ready in time');
    let listening = true;
    await Promise.all(
      sets.map(async (s, i) => {
        if (done.has(i)) return;
        const p = await probeReadiness(s.http);
        if (p.ready) done.add(i);
        if (!p.listening) listening = false;
      }),
    );
    if (done.size < sets.length) await new Promise((r) => setTimeout(r, listening ? 50 : 25));
  }
}

function rawConf(name, dir, s, routes) {
  return `server_name: "${name}"
listen: "0.0.0.0:${s.client}"
http: "0.0.0.0:${s.http}"
pid_file: "${join(dir, 'nats-server.pid')}"
lame_duck_duration: "30s"
lame_duck_grace_period: "3s"
jetstream { store_dir: "${dir}" }
cluster {
  name: "bench"
  listen: "0.0.0.0:${s.cluster}"
  routes: [${routes.map((r) => `"${r}"`).join(', ')}]
}
`;
}

async function killFromPidFiles(dirs) {
  for (const d of dirs) {
    try {
      process.kill(Number.parseInt(await readFile(join(d, 'nats-server.pid'), 'utf8'), 10), 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await new Promise((r) => setTimeout(r, 200));
}

async function runBootstrap(root) {
  const sets = await portSets();
  const seeds = sets.flatMap((s) => ['--seed', `127.0.0.1:${s.cluster}`]);
  const dirs = sets.map((_s, i) => join(root, `nbs-n${i + 1}`));
  const env = { ...process.env, NATS_SERVER_PATH: BIN };
  if (!KEEP_ENV) delete env.NODE_EXTRA_CA_CERTS;
  const t0 = performance.now();
  try {
    const cli = Promise.all(
      sets.map(
        (s, i) =>
          new Promise((resolve, reject) => {
            const args = ['up', '--cluster', 'bench', ...seeds, '--server-name', `n${i + 1}`, '--datafolder', dirs[i],
              '--client-port', String(s.client), '--cluster-port', String(s.cluster), '--http-port', String(s.http), '--detach'];
            const c = spawn(process.execPath, [CLI, ...args], { env, stdio: ['ignore', 'ignore', 'pipe'] });
            let err = '';
            c.stderr.on('data', (d) => (err += d));
            c.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`up n${i + 1} exit ${code}: ${err}`))));
          }),
      ),
    );
    await Promise.all([cli, allReady(sets)]);
    return performance.now() - t0;
  } finally {
    await killFromPidFiles(dirs);
  }
}

async function runRaw(root) {
  const sets = await portSets();
  const routes = sets.map((s) => `nats-route://127.0.0.1:${s.cluster}`);
  const dirs = sets.map((_s, i) => join(root, `raw-n${i + 1}`));
  await Promise.all(dirs.map((d, i) => mkdir(d, { recursive: true }).then(() => writeFile(join(d, 'server.conf'), rawConf(`n${i + 1}`, d, sets[i], routes)))));
  const t0 = performance.now();
  try {
    for (const d of dirs) {
      const c = spawn(BIN, ['-c', join(d, 'server.conf'), '-l', join(d, 'server.log')], { detached: true, stdio: 'ignore' });
      c.unref();
    }
    await allReady(sets);
    return performance.now() - t0;
  } finally {
    await killFromPidFiles(dirs);
  }
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

if (process.env.NODE_EXTRA_CA_CERTS) {
  console.log(KEEP_ENV ? 'NODE_EXTRA_CA_CERTS kept for the CLIs (BENCH_KEEP_ENV=1)' : 'NODE_EXTRA_CA_CERTS removed from the CLIs\' environment (BENCH_KEEP_ENV=1 keeps it)');
}
const root = await mkdtemp(join(tmpdir(), 'nbs-bench-up-'));
const nbs = [];
const raw = [];
try {
  await runRaw(join(root, 'warmup')); // page cache, first exec of the binary
  for (let i = 0; i < REPS; i++) {
    const order = i % 2 === 0 ? ['raw', 'nbs'] : ['nbs', 'raw'];
    for (const which of order) {
      const dir = join(root, `${which}-${i}`);
      if (which === 'raw') raw.push(await runRaw(dir));
      else nbs.push(await runBootstrap(dir));
    }
    console.log(`rep ${i + 1}: nats-bootstrap ${nbs.at(-1).toFixed(0)} ms, raw nats-server ${raw.at(-1).toFixed(0)} ms`);
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
const mNbs = median(nbs);
const mRaw = median(raw);
console.log(`median: nats-bootstrap up --detach x3 = ${mNbs.toFixed(0)} ms, raw nats-server -c x3 = ${mRaw.toFixed(0)} ms`);
console.log(`ratio: ${(mNbs / mRaw).toFixed(2)} (goal <= 1.2); median of the paired differences: +${median(nbs.map((v, i) => v - raw[i])).toFixed(0)} ms`);
