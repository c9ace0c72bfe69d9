#!/usr/bin/env node
/**
 * Benchmark: wall time of `leave --confirm` (built CLI) on a local 4-node secured cluster with a
 * controller, divided by the configured lame-duck time plus one second (goal: at most 1.5).
 *
 * "Configured lame-duck time" = lame_duck_grace_period of the generated config (state.json
 * lame_duck.grace_period_s, 3 s by default). With no clients left on the node, nats-server 2.9.10
 * waits the grace period, then shuts down; lame_duck_duration (30 s minimum on 2.9.10) only bounds
 * how long it keeps evicting clients, and a node with no clients never needs it. The run also
 * reports how long the stop really took (SIGUSR2 → exit) and the other steps (prepare, commit).
 *
 * Each run is done twice: with no client on the leaving node, and with one application client
 * connected to it (the case where the grace period is really waited).
 *
 *   npm run build && npm run bench:leave [-- --runs 2]
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { cli, securedCluster } from './secured-cluster.mjs';

const runsArg = process.argv.indexOf('--runs');
const RUNS = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 1;
const results = [];
for (let i = 0; i < RUNS * 2; i++) {
  // Even runs: no client on node 4. Odd runs: one application client connected to node 4 only
  // (then nats-server waits the whole grace period before it evicts it).
  const withClient = i % 2 === 1;
  const c = await securedCluster(4);
  let client;
  try {
    const n4 = c.nodes[3];
    if (withClient) {
      const seed = (await readFile(join(c.identity, 'controller', 'app-user.nk'), 'utf8')).trim();
      client = await connect({ servers: [`nats://127.0.0.1:${n4.client}`], authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)), maxReconnectAttempts: -1 });
    }
    const state = JSON.parse(await readFile(join(n4.dir, 'state.json'), 'utf8'));
    const grace = state.lame_duck?.grace_period_s ?? 3;
    const r = await cli(['leave', '--confirm', '--datafolder', n4.dir, '--json'], c.root);
    if (r.code !== 0) throw new Error(`leave failed (${r.code}): ${r.stderr}`);
    const out = JSON.parse(r.stdout);
    const ratio = r.ms / 1000 / (grace + 1);
    results.push({ withClient, ratio });
    console.log(
      `run ${i + 1} (${withClient ? 'a client on the node' : 'no client on the node'}): leave --confirm ${(r.ms / 1000).toFixed(2)} s (prepare ${out.timings_ms.prepare} ms, stop ${out.timings_ms.stop} ms, commit ${out.timings_ms.commit} ms); ` +
        `lame-duck grace ${grace} s (+1 s = ${grace + 1} s) → ratio ${ratio.toFixed(2)} (goal ≤ 1.5) — status ${out.status}`,
    );
  } finally {
    await client?.close().catch(() => undefined);
    await c.destroy();
  }
}
for (const wc of [false, true]) {
  const rs = results.filter((r) => r.withClient === wc).map((r) => r.ratio);
  const worst = Math.max(...rs);
  console.log(`${wc ? 'a client on the node' : 'no client on the node'}: worst ratio ${worst.toFixed(2)} over ${rs.length} run(s): ${worst <= 1.5 ? 'OK' : 'ABOVE GOAL'}`);
}
