/**
 * Test support for the control plane: a secured cluster started with the REAL CLI
 * (`init`, `up --bundle … --detach`, `controller start`), and NATS connections as each user.
 * Every process started here is killed when the test process exits, even after a failure.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { freePorts } from '../support/ports.js';
import { waitFor } from '../support/nats-harness.js';
import { CLI, runCli, type CliRun } from '../support/cli-run.js';


const pids = new Set<number>();
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const c of children) {
    try {
      c.kill('SIGKILL');
    } catch {
      /* gone */
    }
  }
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
});

/** The built CLI with the test's environment on top of this process's (up, init, leave, backup). */
export function cli(args: string[], opts: { cwd: string; env?: Record<string, string>; timeoutMs?: number }): Promise<CliRun> {
  return runCli(args, { cwd: opts.cwd, env: { ...process.env, ...opts.env }, timeoutMs: opts.timeoutMs ?? 110_000 });
}

export interface SecuredNode {
  name: string;
  datafolder: string;
  client: number;
  cluster: number;
  http: number;
  url: string;
  upArgs: string[];
  pid(): Promise<number | null>;
}

export interface SecuredCluster {
  name: string;
  root: string;
  identity: string;
  bundle: string;
  nodes: SecuredNode[];
  urls: string[];
  seed(role: 'controller' | 'system' | 'app-admin' | 'app-user'): Promise<string>;
  nodeSeed(): Promise<string>;
  up(node: SecuredNode, extra?: string[]): Promise<CliRun>;
  teardown(): Promise<void>;
}

/** init + n × `up --bundle --detach` (in parallel: first boot needs every seed). */
export async function startSecuredCluster(root: string, n: number, name = `cp${Math.random().toString(36).slice(2, 7)}`): Promise<SecuredCluster> {
  const ports = await freePorts(3 * n);
  const identity = join(root, 'identity');
  const nodes: SecuredNode[] = [];
  for (let i = 0; i < n; i++) {
    const [client, clusterPort, http] = [ports[3 * i]!, ports[3 * i + 1]!, ports[3 * i + 2]!];
    const datafolder = join(root, `node${i + 1}`);
    nodes.push({
      name: `${name}-n${i + 1}`,
      datafolder,
      client,
      cluster: clusterPort,
      http,
      url: `nats://127.0.0.1:${client}`,
      upArgs: [],
      pid: async () => {
        try {
          return Number.parseInt((await readFile(join(datafolder, 'nats-server.pid'), 'utf8')).trim(), 10);
        } catch {
          return null;
        }
      },
    });
  }
  const seeds = nodes.flatMap((x) => ['--seed', `127.0.0.1:${x.cluster}`]);
  const init = await cli(['init', '--cluster', name, '--out', identity, ...seeds], { cwd: root });
  if (init.exitCode !== 0) throw new Error(`init failed: ${init.stderr}`);
  const bundle = join(identity, 'node-bundle.json');
  /** Every pid this cluster's nodes ever had (restarts included), killed by teardown. */
  const started = new Set<number>();
  for (const x of nodes) {
    x.upArgs = ['up', '--cluster', name, '--bundle', bundle, ...seeds, '--server-name', x.name, '--datafolder', x.datafolder, '--client-port', String(x.client), '--cluster-port', String(x.cluster), '--http-port', String(x.http), '--listen', `127.0.0.1:${x.cluster}`, '--detach'];
  }
  const c: SecuredCluster = {
    name,
    root,
    identity,
    bundle,
    nodes,
    urls: nodes.map((x) => x.url),
    seed: async (role) => (await readFile(join(identity, 'controller', `${role}.nk`), 'utf8')).trim(),
    nodeSeed: async () => (JSON.parse(await readFile(bundle, 'utf8')) as { node_credential: { seed: string } }).node_credential.seed,
    up: async (node, extra = []) => {
      const r = await cli([...node.upArgs, ...extra], { cwd: root });
      const pid = await node.pid();
      if (pid) {
        pids.add(pid);
        started.add(pid);
      }
      return r;
    },
    teardown: async () => {
      for (const x of nodes) {
        const pid = await x.pid();
        if (pid) started.add(pid);
      }
      for (const pid of started) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
    },
  };
  const ups = await Promise.all(nodes.map((x) => c.up(x)));
  const failed = ups.findIndex((r) => r.exitCode !== 0);
  if (failed >= 0) {
    // The nodes that did start are detached processes: stop them before giving up.
    await c.teardown();
    throw new Error(`up of ${nodes[failed]!.name} failed (${ups[failed]!.exitCode}): ${ups[failed]!.stderr}`);
  }
  return c;
}

export interface ControllerProcess {
  proc: ChildProcess;
  logs: string[];
  /** SIGTERM and wait (graceful). */
  stop(): Promise<number | null>;
  kill(): Promise<void>;
  exited(): Promise<number | null>;
}

export async function startControllerProcess(c: SecuredCluster, env: Record<string, string> = {}, extra: string[] = []): Promise<ControllerProcess> {
  const proc = spawn('node', [CLI, 'controller', 'start', '--dir', c.identity, '--server', c.urls.join(','), ...extra], { cwd: c.root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(proc);
  const logs: string[] = [];
  proc.stdout!.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
  proc.stderr!.on('data', (d: Buffer) => logs.push(...d.toString().split('\n').filter(Boolean)));
  const exit = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  exit.then(() => children.delete(proc), () => undefined);
  await waitFor('controller started', async () => {
    if (proc.exitCode !== null) throw Object.assign(new Error(`controller exited: ${logs.join('\n')}`), { fatal: true });
    return logs.some((l) => l.includes('controller started'));
  }, 30_000, 100);
  return {
    proc,
    logs,
    exited: () => exit,
    stop: async () => {
      proc.kill('SIGTERM');
      return exit;
    },
    kill: async () => {
      proc.kill('SIGKILL');
      await exit;
    },
  };
}

export async function connectWithSeed(seed: string, servers: string[], opts: { inboxPrefix?: string; name?: string; reconnect?: boolean } = {}): Promise<NatsConnection> {
  return connect({
    servers,
    authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)),
    ...(opts.reconnect ? { maxReconnectAttempts: -1, reconnectTimeWait: 250 } : { reconnect: false }),
    ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
    ...(opts.name ? { name: opts.name } : {}),
  });
}

export interface MetaJsz {
  meta_cluster?: { leader?: string; cluster_size?: number; replicas?: Array<{ name: string; offline?: boolean }> };
}

export async function metaView(node: SecuredNode): Promise<MetaJsz['meta_cluster']> {
  const res = await fetch(`http://127.0.0.1:${node.http}/jsz`, { signal: AbortSignal.timeout(2000) });
  return ((await res.json()) as MetaJsz).meta_cluster;
}

/** Wait until every given node agrees on a leader and the cluster size. */
export async function waitForMeta(nodes: SecuredNode[], size: number, timeoutMs = 30_000): Promise<string> {
  return waitFor(`meta group of ${size}`, async () => {
    const views = await Promise.all(nodes.map((x) => metaView(x)));
    const leaders = new Set(views.map((v) => v?.leader ?? ''));
    const [leader] = [...leaders];
    if (leaders.size === 1 && leader && views.every((v) => v?.cluster_size === size)) return leader;
    return undefined;
  }, timeoutMs, 200);
}
