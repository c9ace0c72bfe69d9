/**
 * Bench support: a local secured cluster through the BUILT CLI (init, up --bundle --detach,
 * controller start). Every process is killed on exit.
 */
import { spawn, execFile } from 'node:child_process';
import { mkdtemp, rm, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { freePort } from './free-port.mjs';

const run = promisify(execFile);
export const CLI = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const pids = new Set();
process.on('exit', () => {
  for (const p of pids) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});


export async function cli(args, cwd) {
  const t0 = performance.now();
  try {
    const r = await run('node', [CLI, ...args], { cwd, maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr, ms: performance.now() - t0 };
  } catch (e) {
    return { code: e.code ?? 1, stdout: e.stdout ?? '', stderr: e.stderr ?? '', ms: performance.now() - t0 };
  }
}

export async function securedCluster(n) {
  const root = await mkdtemp(join(tmpdir(), 'nbs-bench-cp-'));
  const name = `bench${Math.random().toString(36).slice(2, 6)}`;
  const nodes = [];
  for (let i = 0; i < n; i++) {
    nodes.push({ name: `${name}-n${i + 1}`, dir: join(root, `node${i + 1}`), client: await freePort(), cluster: await freePort(), http: await freePort() });
  }
  const seeds = nodes.flatMap((x) => ['--seed', `127.0.0.1:${x.cluster}`]);
  const init = await cli(['init', '--cluster', name, '--out', join(root, 'identity'), ...seeds], root);
  if (init.code !== 0) throw new Error(init.stderr);
  const bundle = join(root, 'identity', 'node-bundle.json');
  const ups = await Promise.all(
    nodes.map((x) =>
      cli(['up', '--cluster', name, '--bundle', bundle, ...seeds, '--server-name', x.name, '--datafolder', x.dir, '--client-port', String(x.client), '--cluster-port', String(x.cluster), '--http-port', String(x.http), '--listen', `127.0.0.1:${x.cluster}`, '--detach'], root),
    ),
  );
  for (const [i, u] of ups.entries()) if (u.code !== 0) throw new Error(`up ${nodes[i].name}: ${u.stderr}`);
  for (const x of nodes) {
    const pid = Number((await readFile(join(x.dir, 'nats-server.pid'), 'utf8')).trim());
    x.pid = pid;
    pids.add(pid);
  }
  const urls = nodes.map((x) => `nats://127.0.0.1:${x.client}`);
  const ctl = spawn('node', [CLI, 'controller', 'start', '--dir', join(root, 'identity'), '--server', urls.join(',')], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  pids.add(ctl.pid);
  await new Promise((resolve, reject) => {
    let buf = '';
    ctl.stdout.on('data', (d) => {
      buf += d;
      if (buf.includes('controller started')) resolve();
    });
    ctl.once('exit', (code) => reject(new Error(`controller exited ${code}: ${buf}`)));
  });
  ctl.stdout.resume();
  ctl.stderr.resume();
  return {
    root,
    name,
    nodes,
    urls,
    bundle,
    identity: join(root, 'identity'),
    controller: ctl,
    async destroy() {
      ctl.kill('SIGTERM');
      for (const x of nodes) {
        try {
          process.kill(x.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 300));
      await rm(root, { recursive: true, force: true });
    },
  };
}
