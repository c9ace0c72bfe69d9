#!/usr/bin/env node
/**
 * demo time-to-ready: wall time from launching `nats-bootstrap demo --dir <fresh folder>` until it
 * prints that it is ready ("Ctrl-C stops …"), and from SIGINT until the process exited.
 * Variants run in alternating order, BENCH_REPS times each (default 3), each in a fresh folder:
 *   default          secured nodes + identity + controller
 *   --no-controller  three open nodes (the old demo)
 * Prints every run, the medians and the ratio default / --no-controller measured in this run.
 * Build first: npx tsc -p tsconfig.json
 */
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CLI = join(process.cwd(), 'dist', 'cli', 'main.js');
const REPS = Number(process.env.BENCH_REPS ?? 3);
const VARIANTS = (process.env.BENCH_VARIANTS ?? 'default,--no-controller').split(',');

function once(variant) {
  return new Promise(async (resolve, reject) => {
    const dir = await mkdtemp(join(tmpdir(), 'nbs-bench-demo-'));
    const args = [CLI, 'demo', '--dir', join(dir, 'demo'), ...(variant === 'default' ? [] : [variant])];
    const t0 = performance.now();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let readyMs = null;
    let t1 = 0;
    const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
    child.stdout.on('data', (d) => {
      out += d;
      if (readyMs === null && out.includes('Ctrl-C stops')) {
        readyMs = performance.now() - t0;
        t1 = performance.now();
        child.kill('SIGINT');
      }
    });
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', async (code) => {
      clearTimeout(timer);
      const stopMs = performance.now() - t1;
      await rm(dir, { recursive: true, force: true });
      if (readyMs === null || code !== 0) reject(new Error(`${variant}: exit ${code}\n${err}\n${out}`));
      else resolve({ readyMs, stopMs });
    });
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
};

const results = Object.fromEntries(VARIANTS.map((v) => [v, []]));
for (let i = 0; i < REPS; i++) {
  const order = i % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
  for (const v of order) {
    const r = await once(v);
    results[v].push(r);
    console.log(`run ${i + 1} ${v.padEnd(16)} ready ${r.readyMs.toFixed(0).padStart(6)} ms   stop ${r.stopMs.toFixed(0).padStart(6)} ms`);
  }
}
for (const v of VARIANTS) {
  console.log(`median ${v.padEnd(16)} ready ${median(results[v].map((r) => r.readyMs)).toFixed(0).padStart(6)} ms   stop ${median(results[v].map((r) => r.stopMs)).toFixed(0).padStart(6)} ms`);
}
if (VARIANTS.length === 2) {
  const [a, b] = VARIANTS.map((v) => median(results[v].map((r) => r.readyMs)));
  console.log(`ratio ready ${VARIANTS[0]} / ${VARIANTS[1]}: ${(a / b).toFixed(2)} (extra ${(a - b).toFixed(0)} ms)`);
}
