/**
 * Symmetric bootstrap on separate "hosts": three network namespaces joined by a bridge, each with
 * its own host name (UTS namespace) and /etc/netns/<ns>/hosts mapping a, b, c. Every node runs
 * the IDENTICAL command line, with the same ports, from its own working folder:
 *
 *   nats-bootstrap join --cluster demo --seed a --seed b --seed c --detach
 *
 * Skips with a message where network namespaces are not permitted (not root, no CAP_SYS_ADMIN,
 * no iproute2). Namespaces, bridge, veths and /etc/netns entries are unique per run and removed
 * afterwards, also on failure (afterAll + exit hook).
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { connect } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { natsServerBin, tempDir, waitFor } from '../support/nats-harness.js';
import { CLI } from '../support/cli-run.js';

const run = Math.random().toString(16).slice(2, 7);
const names = ['a', 'b', 'c'] as const;
const ns = (n: string) => `nbs${run}${n}`;
const bridge = `nbsbr${run}`;
const subnet = `10.${200 + Math.floor(Math.random() * 50)}.${Math.floor(Math.random() * 250)}`;
const ip = (i: number) => `${subnet}.${i + 1}`;

function sh(args: string[]): void {
  execFileSync(args[0]!, args.slice(1), { stdio: 'pipe' });
}
function quiet(args: string[]): void {
  try {
    sh(args);
  } catch {
    /* best effort */
  }
}

function netnsPermitted(): string | null {
  if (process.platform !== 'linux') return 'network namespaces need Linux';
  const probe = `nbsprobe${run}`;
  try {
    sh(['ip', 'netns', 'add', probe]);
    sh(['ip', 'netns', 'exec', probe, 'unshare', '--uts', 'true']);
    return null;
  } catch (e) {
    return `ip netns / unshare --uts not permitted here (${(e as Error).message.split('\n')[0]})`;
  } finally {
    quiet(['ip', 'netns', 'del', probe]);
  }
}

const skipReason = netnsPermitted();
if (skipReason) console.warn(`SKIP netns symmetric test: ${skipReason}`);

let work: { path: string; remove: () => Promise<void> } | undefined;
let cleaned = false;

function cleanup(): void {
  if (cleaned) return;
  cleaned = true;
  for (const n of names) {
    if (work) {
      try {
        const pid = Number.parseInt(readFileSync(join(work.path, n, 'nats-bootstrap-data', 'nats-server.pid'), 'utf8'), 10);
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        /* not running */
      }
    }
    quiet(['ip', 'netns', 'del', ns(n)]);
    quiet(['ip', 'link', 'del', `v${run}${n}`]);
    rmSync(`/etc/netns/${ns(n)}`, { recursive: true, force: true });
  }
  quiet(['ip', 'link', 'del', bridge]);
}

describe.skipIf(skipReason !== null)('identical join command on three network namespaces', () => {
  beforeAll(async () => {
    process.once('exit', cleanup);
    work = await tempDir('nbs-netns-');
    sh(['ip', 'link', 'add', bridge, 'type', 'bridge']);
    sh(['ip', 'addr', 'add', `${subnet}.254/24`, 'dev', bridge]);
    sh(['ip', 'link', 'set', bridge, 'up']);
    const hosts = `127.0.0.1 localhost\n${names.map((n, i) => `${ip(i)} ${n}`).join('\n')}\n`;
    names.forEach((n, i) => {
      sh(['ip', 'netns', 'add', ns(n)]);
      mkdirSync(`/etc/netns/${ns(n)}`, { recursive: true });
      writeFileSync(`/etc/netns/${ns(n)}/hosts`, hosts);
      sh(['ip', 'link', 'add', `v${run}${n}`, 'type', 'veth', 'peer', 'name', `p${run}${n}`]);
      sh(['ip', 'link', 'set', `v${run}${n}`, 'master', bridge]);
      sh(['ip', 'link', 'set', `v${run}${n}`, 'up']);
      sh(['ip', 'link', 'set', `p${run}${n}`, 'netns', ns(n)]);
      sh(['ip', '-n', ns(n), 'addr', 'add', `${ip(i)}/24`, 'dev', `p${run}${n}`]);
      sh(['ip', '-n', ns(n), 'link', 'set', `p${run}${n}`, 'up']);
      sh(['ip', '-n', ns(n), 'link', 'set', 'lo', 'up']);
      mkdirSync(join(work!.path, n));
    });
  });

  afterAll(async () => {
    // A graceful stop first (the same command on every host), then the hard cleanup.
    await Promise.all(names.map((n) => nodeCmd(n, ['down', '--confirm', '--now']).catch(() => undefined)));
    cleanup();
    await work?.remove();
  });

  /** Run the CLI "on host n": its network namespace, its own host name, its own working folder. */
  function nodeCmd(n: string, args: string[]) {
    const script = 'hostname "$0" && exec "$@"';
    return execa('ip', ['netns', 'exec', ns(n), 'unshare', '--uts', 'sh', '-c', script, n, process.execPath, CLI, ...args], {
      cwd: join(work!.path, n),
      env: { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: work!.path, NATS_SERVER_PATH: natsServerBin() },
      extendEnv: false,
      reject: false,
      timeout: 90_000,
      stdin: 'ignore',
    });
  }

  it('forms one cluster with a meta leader; an R3 stream accepts writes', async () => {
    const command = ['join', '--cluster', 'demo', '--seed', 'a', '--seed', 'b', '--seed', 'c', '--detach', '--json'];
    const results = await Promise.all(names.map((n) => nodeCmd(n, command)));
    results.forEach((r, i) => {
      expect(r.exitCode, `${names[i]}: ${String(r.stderr)}`).toBe(0);
      const j = JSON.parse(String(r.stdout)) as { status: string; server_name: string; ports: { client: number } };
      expect(j.status).toBe('ready');
      expect(j.server_name).toBe(names[i]);
      expect(j.ports.client).toBe(4222);
    });
    const views = await Promise.all(
      names.map((_n, i) =>
        waitFor(`jsz of ${names[i]}`, async () => {
          const res = await fetch(`http://${ip(i)}:8222/jsz`, { signal: AbortSignal.timeout(2000) });
          return (await res.json()) as { meta_cluster?: { leader?: string; cluster_size?: number } };
        }),
      ),
    );
    expect(new Set(views.map((v) => v.meta_cluster?.leader)).size).toBe(1);
    expect(names).toContain(views[0]!.meta_cluster?.leader);
    for (const v of views) expect(v.meta_cluster?.cluster_size).toBe(3);

    const nc = await connect({ servers: names.map((_n, i) => `nats://${ip(i)}:4222`), timeout: 5000 });
    try {
      const jsm = await jetstreamManager(nc);
      await jsm.streams.add({ name: 'NETNS', subjects: ['netns.>'], num_replicas: 3 });
      const ack = await jetstream(nc).publish('netns.hello', 'hi');
      expect(ack.seq).toBe(1);
      expect((await jsm.streams.info('NETNS')).cluster?.replicas?.length).toBe(2);
    } finally {
      await nc.close();
    }
  });
});
