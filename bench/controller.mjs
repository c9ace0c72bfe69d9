#!/usr/bin/env node
/**
 * Benchmark: `ping` requests per second through the controller (built CLI, `controller start`)
 * on a local 3-node secured cluster, sent with the node credential, 64 in flight; then the
 * controller's RSS after 10,000 requests (goal: at least 2,000/s, under 150 MB).
 * Reference in the same run: a bare NATS responder (same connection type, same payload size)
 * to show what the transport alone costs on this machine.
 *
 *   npm run build && npm run bench:controller [-- --requests 10000]
 */
import { readFile } from 'node:fs/promises';
import { connect, nkeyAuthenticator } from '@nats-io/transport-node';
import { securedCluster } from './secured-cluster.mjs';

const reqArg = process.argv.indexOf('--requests');
const N = reqArg > 0 ? Number(process.argv[reqArg + 1]) : 10_000;
const INFLIGHT = 64;

async function rssMb(pid) {
  const s = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(s)[1]) / 1024;
}

async function drive(nc, subject, makeBody) {
  let next = 0;
  let errors = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: INFLIGHT }, async () => {
      while (next < N) {
        const i = next++;
        const m = await nc.request(subject, makeBody(i), { timeout: 10_000 });
        if (!m.json().ok) errors++;
      }
    }),
  );
  const s = (performance.now() - t0) / 1000;
  return { perSec: N / s, seconds: s, errors };
}

const c = await securedCluster(3);
try {
  const bundle = JSON.parse(await readFile(c.bundle, 'utf8'));
  const nc = await connect({ servers: c.urls, authenticator: nkeyAuthenticator(new TextEncoder().encode(bundle.node_credential.seed)), inboxPrefix: '_INBOX_NBS_NODE' });
  const subject = `nbs.${c.name}.ctl.ping`;
  const rss0 = await rssMb(c.controller.pid);
  const ping = await drive(nc, subject, (i) => JSON.stringify({ schema_version: 1, request_id: `bench-${i}`, action: 'ping', sender: 'bench' }));
  const rss1 = await rssMb(c.controller.pid);
  await nc.close();

  // Transport reference: a bare responder in this process, in the CONTROL account.
  const seed = (await readFile(`${c.identity}/controller/controller.nk`, 'utf8')).trim();
  const ctl = await connect({ servers: c.urls, authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)) });
  ctl.subscribe(`nbs.${c.name}.ctl.bare`, { callback: (_e, m) => m.respond(JSON.stringify({ ok: true, status: 'ok' })) });
  await ctl.flush();
  const nc2 = await connect({ servers: c.urls, authenticator: nkeyAuthenticator(new TextEncoder().encode(bundle.node_credential.seed)), inboxPrefix: '_INBOX_NBS_NODE' });
  const bare = await drive(nc2, `nbs.${c.name}.ctl.bare`, () => '{}');
  await nc2.close();
  await ctl.close();

  console.log(`ping through the controller: ${N} requests in ${ping.seconds.toFixed(2)} s = ${ping.perSec.toFixed(0)}/s (goal ≥ 2000/s), ${ping.errors} error replies`);
  console.log(`bare NATS responder (reference): ${bare.perSec.toFixed(0)}/s → controller/bare = ${(ping.perSec / bare.perSec).toFixed(2)}`);
  console.log(`controller RSS: ${rss0.toFixed(1)} MB at start, ${rss1.toFixed(1)} MB after ${N} requests (goal < 150 MB)`);
} finally {
  await c.destroy();
}
