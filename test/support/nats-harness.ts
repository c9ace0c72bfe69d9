/**
 * Test harness: real nats-server processes on random free ports in temporary folders.
 * Every process started here is killed when the test process exits, even after a failure.
 *
 *   const c = await startCluster(3);          // JetStream cluster with a meta leader
 *   ...; await c.stop();                       // or rely on the exit hook
 */
import { spawn, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePorts } from './ports.js';

const live = new Set<ChildProcess>();
process.on('exit', () => {
  for (const p of live) {
    try {
      p.kill('SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

/** The nats-server binary the tests use: NATS_SERVER_PATH, else `nats-server` on PATH. */
export function natsServerBin(): string {
  if (process.env['NATS_SERVER_PATH']) return process.env['NATS_SERVER_PATH'];
  return execFileSync('sh', ['-c', 'command -v nats-server'], { encoding: 'utf8' }).trim();
}

export function natsServerVersion(): string {
  const out = execFileSync(natsServerBin(), ['--version'], { encoding: 'utf8' });
  return /v?(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? 'unknown';
}

export async function tempDir(prefix = 'nbs-test-'): Promise<{ path: string; remove: () => Promise<void> }> {
  const path = await mkdtemp(join(tmpdir(), prefix));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}

export interface ServerSpec {
  name: string;
  clusterName?: string;
  /** Route URLs (nats-route://host:port). */
  routes?: string[];
  jetstream?: boolean;
  /** Extra nats-server config text appended verbatim (accounts, authorization, …). */
  extraConf?: string;
  /** Use these ports instead of fresh random ones (restart a node on its old ports). */
  ports?: { client: number; cluster: number; http: number };
  dir?: string;
}

export interface TestServer {
  name: string;
  dir: string;
  confPath: string;
  logPath: string;
  clientPort: number;
  clusterPort: number;
  httpPort: number;
  url: string;
  routeUrl: string;
  process: ChildProcess;
  /** Monitoring GET (JSON) on this server, e.g. monitor('/jsz'). */
  monitor<T = Record<string, unknown>>(path: string): Promise<T>;
  /** Graceful stop (SIGTERM), then SIGKILL after the timeout. */
  stop(timeoutMs?: number): Promise<void>;
  kill(): Promise<void>;
  /** Start again with the same config, ports and store. */
  restart(): Promise<void>;
  running(): boolean;
}

export async function monitorGet<T>(httpPort: number, path: string, timeoutMs = 2000): Promise<T> {
  const res = await fetch(`http://127.0.0.1:${httpPort}${path}`, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok && res.status !== 503) throw new Error(`GET ${path} → ${res.status}`);
  return (await res.json()) as T;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined | false>, timeoutMs = 30_000, intervalMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastErr: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined && v !== false) return v;
    } catch (e) {
      if ((e as { fatal?: boolean }).fatal) throw e;
      lastErr = e;
    }
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastErr ? `: ${(lastErr as Error).message}` : ''}`);
}

function renderConf(spec: ServerSpec, dir: string, ports: { client: number; cluster: number; http: number }): string {
  const lines = [
    `server_name: "${spec.name}"`,
    `listen: "127.0.0.1:${ports.client}"`,
    `http: "127.0.0.1:${ports.http}"`,
    `lame_duck_duration: "30s"`,
    `lame_duck_grace_period: "1s"`,
  ];
  if (spec.jetstream !== false) lines.push(`jetstream { store_dir: "${join(dir, 'jetstream')}" }`);
  if (spec.clusterName) {
    lines.push(
      `cluster {`,
      `  name: "${spec.clusterName}"`,
      `  listen: "127.0.0.1:${ports.cluster}"`,
      `  routes: [${(spec.routes ?? []).map((r) => `"${r}"`).join(', ')}]`,
      `}`,
    );
  }
  if (spec.extraConf) lines.push(spec.extraConf);
  return `${lines.join('\n')}\n`;
}

/** Start one nats-server; resolves once its monitoring endpoint answers. */
export async function startServer(spec: ServerSpec): Promise<TestServer> {
  const dir = spec.dir ?? (await tempDir(`nbs-${spec.name}-`)).path;
  const [client, cluster, http] = spec.ports ? [spec.ports.client, spec.ports.cluster, spec.ports.http] : await freePorts(3);
  const ports = { client: client!, cluster: cluster!, http: http! };
  const confPath = join(dir, 'server.conf');
  const logPath = join(dir, 'server.log');
  await writeFile(confPath, renderConf(spec, dir, ports));
  const bin = natsServerBin();
  let proc: ChildProcess;
  const launch = async () => {
    proc = spawn(bin, ['-c', confPath, '-l', logPath], { stdio: 'ignore' });
    proc.on('error', () => undefined);
    live.add(proc);
    proc.once('exit', () => live.delete(proc));
    await waitFor(`${spec.name} monitoring on :${ports.http}`, async () => {
      if (proc.exitCode !== null) {
        throw Object.assign(new Error(`${spec.name} exited with ${proc.exitCode}: ${await tailLog(logPath)}`), { fatal: true });
      }
      return (await monitorGet(ports.http, '/varz')) ? true : undefined;
    }, 15_000, 50);
  };
  await launch();
  const exited = () => new Promise<void>((r) => (proc.exitCode !== null || proc.signalCode !== null ? r() : proc.once('exit', () => r())));
  const server: TestServer = {
    name: spec.name,
    dir,
    confPath,
    logPath,
    clientPort: ports.client,
    clusterPort: ports.cluster,
    httpPort: ports.http,
    url: `nats://127.0.0.1:${ports.client}`,
    routeUrl: `nats-route://127.0.0.1:${ports.cluster}`,
    get process() {
      return proc;
    },
    monitor: (path) => monitorGet(ports.http, path),
    running: () => proc.exitCode === null && proc.signalCode === null,
    async stop(timeoutMs = 10_000) {
      if (!server.running()) return;
      proc.kill('SIGTERM');
      const t = setTimeout(() => proc.kill('SIGKILL'), timeoutMs);
      await exited();
      clearTimeout(t);
    },
    async kill() {
      if (!server.running()) return;
      proc.kill('SIGKILL');
      await exited();
    },
    async restart() {
      await server.stop();
      await launch();
    },
  };
  return server;
}

export async function tailLog(path: string, lines = 20): Promise<string> {
  try {
    return (await readFile(path, 'utf8')).split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

export interface JszMeta {
  meta_cluster?: { name?: string; leader?: string; cluster_size?: number; replicas?: Array<{ name: string; current: boolean; offline?: boolean }> };
}

export interface TestCluster {
  name: string;
  servers: TestServer[];
  urls: string[];
  /** Wait until every running server reports the same meta leader and cluster size. */
  waitForMetaLeader(timeoutMs?: number): Promise<string>;
  stop(): Promise<void>;
  /** Remove the temporary folders too. */
  destroy(): Promise<void>;
}

export interface ClusterOptions {
  name?: string;
  /** Extra config for every server (same text on all nodes). */
  extraConf?: string | ((index: number) => string);
  jetstream?: boolean;
}

/** Start an n-node JetStream cluster; each node lists every route (incl. itself). */
export async function startCluster(n: number, opts: ClusterOptions = {}): Promise<TestCluster> {
  const clusterName = opts.name ?? `t${Math.random().toString(36).slice(2, 8)}`;
  const portSets: Array<{ client: number; cluster: number; http: number }> = [];
  const all = await freePorts(3 * n);
  for (let i = 0; i < n; i++) portSets.push({ client: all[3 * i]!, cluster: all[3 * i + 1]!, http: all[3 * i + 2]! });
  const routes = portSets.map((p) => `nats-route://127.0.0.1:${p.cluster}`);
  const servers: TestServer[] = [];
  try {
    const started = await Promise.all(
      portSets.map((ports, i) =>
        startServer({
          name: `${clusterName}-n${i + 1}`,
          clusterName,
          routes,
          ports,
          ...(opts.jetstream === false ? { jetstream: false } : {}),
          ...(opts.extraConf ? { extraConf: typeof opts.extraConf === 'function' ? opts.extraConf(i) : opts.extraConf } : {}),
        }),
      ),
    );
    servers.push(...started);
  } catch (e) {
    await Promise.all(servers.map((s) => s.kill()));
    throw e;
  }
  const cluster: TestCluster = {
    name: clusterName,
    servers,
    urls: servers.map((s) => s.url),
    async waitForMetaLeader(timeoutMs = 30_000) {
      return waitFor(`meta leader of ${clusterName}`, async () => {
        const running = servers.filter((s) => s.running());
        const views = await Promise.all(running.map((s) => s.monitor<JszMeta>('/jsz')));
        const leaders = new Set(views.map((v) => v.meta_cluster?.leader ?? ''));
        const [leader] = [...leaders];
        if (leaders.size === 1 && leader) return leader;
        return undefined;
      }, timeoutMs, 200);
    },
    async stop() {
      await Promise.all(servers.map((s) => s.stop()));
    },
    async destroy() {
      await cluster.stop();
      await Promise.all(servers.map((s) => rm(s.dir, { recursive: true, force: true })));
    },
  };
  if (opts.jetstream !== false) {
    try {
      await cluster.waitForMetaLeader();
    } catch (e) {
      await cluster.destroy();
      throw e;
    }
  }
  return cluster;
}
