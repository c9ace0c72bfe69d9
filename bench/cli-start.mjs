#!/usr/bin/env node
/**
 * Start-up cost of the CLI: median wall time of `nats-bootstrap status --json` divided by the
 * median of `node -e 0`, measured alternately in the same run (goal: at most 3x).
 * Also prints `--version`, `status --json` with a config file (ajv loaded) and for a running
 * node (monitoring endpoint queried) for reference.
 *
 *   npm run build && npm run bench:cli-start [-- --runs 15]
 *
 * Runs in a temporary folder with a temporary HOME, so no config file or data folder of the
 * machine is picked up; nats-server is resolved from PATH as usual (status runs --version).
 */
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
if (!existsSync(cli)) {
  console.error(`missing ${cli}: run npm run build first`);
  process.exit(2);
}
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 15;

const cwd = mkdtempSync(join(tmpdir(), 'nbs-bench-'));
const cfgDir = mkdtempSync(join(tmpdir(), 'nbs-bench-cfg-'));
writeFileSync(join(cfgDir, 'nats-config.json'), JSON.stringify({ client_port: 4222, cluster_port: 6222, http_port: 8222 }));
const env = { ...process.env, HOME: cwd };

/** A free loopback port (closed again before use). */
const freePort = () =>
  new Promise((resolve) => {
    const srv = createServer().listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });

/**
 * A running node for `status --json --datafolder`: a real nats-server (from PATH) with a data
 * folder layout (state.json + pid file) written here. Null when nats-server is not on PATH.
 */
async function startNode() {
  const which = spawnSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' });
  const bin = which.stdout.trim();
  if (!bin) return null;
  const [client, http] = [await freePort(), await freePort()];
  const folder = join(cwd, 'node');
  mkdirSync(folder);
  const conf = join(folder, 'bench.conf');
  writeFileSync(conf, `server_name: bench\nlisten: "127.0.0.1:${client}"\nhttp: "127.0.0.1:${http}"\njetstream { store_dir: "${join(folder, 'jetstream')}" }\n`);
  const proc = spawn(bin, ['-c', conf], { stdio: 'ignore' });
  const now = new Date().toISOString();
  writeFileSync(join(folder, 'state.json'), JSON.stringify({ schema_version: 1, server_name: 'bench', cluster: null, mode: 'user-config', ports: { client, cluster: 6222, http }, seeds: [], bundle: null, created_at: now, updated_at: now, left: null }));
  writeFileSync(join(folder, 'nats-server.pid'), `${proc.pid}\n`);
  for (let i = 0; i < 100; i++) {
    const ok = await fetch(`http://127.0.0.1:${http}/varz`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return { folder, stop: () => proc.kill('SIGKILL') };
}

const cases = {
  'node -e 0': { args: ['-e', '0'], cwd },
  'status --json': { args: [cli, 'status', '--json'], cwd },
  '--version': { args: [cli, '--version'], cwd },
  'status --json (config file)': { args: [cli, 'status', '--json'], cwd: cfgDir },
};

function once(c) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, c.args, { cwd: c.cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0) throw new Error(`${c.args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return ms;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};

const node = await startNode();
if (node) cases['status --json (running node)'] = { args: [cli, 'status', '--json', '--datafolder', node.folder], cwd };
try {
  for (const c of Object.values(cases)) once(c); // warm the file cache
  const times = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let i = 0; i < runs; i++) for (const [k, c] of Object.entries(cases)) times[k].push(once(c));
  const base = median(times['node -e 0']);
  console.log(`runs: ${runs} each, alternating`);
  for (const k of Object.keys(cases)) {
    const m = median(times[k]);
    console.log(`${k.padEnd(32)} median ${m.toFixed(1).padStart(7)} ms   ${(m / base).toFixed(2)}x node -e 0`);
  }
  const ratio = median(times['status --json']) / base;
  console.log(`ratio status --json / node -e 0: ${ratio.toFixed(2)} (goal <= 3)`);
} finally {
  node?.stop();
  rmSync(cwd, { recursive: true, force: true });
  rmSync(cfgDir, { recursive: true, force: true });
}
