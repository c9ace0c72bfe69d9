/**
 * `demo`: a 3-node JetStream cluster on this machine, for a first try. Each node is a normal
 * `up --detach` with its own data folder under one demo folder; Ctrl-C stops them all (lame duck),
 * `--detach` leaves them running and says how to stop them.
 */
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NbsError } from '../domain/errors.js';
import type { NodeState } from '../domain/node-state.js';
import { isPortFree, pickFreePort, probeReadiness } from '../infra/nats-server-process.js';
import { stopNode } from './down.js';
import { loadEnvironment } from './environment.js';
import { up, type UpDeps, type UpResult } from './up.js';

export const DEMO_CLUSTER = 'demo';
export const DEMO_NODES = 3;

export interface DemoOptions {
  dir?: string | undefined;
  detach: boolean;
}

export interface DemoNode {
  name: string;
  datafolder: string;
  pid: number | null;
  client_url: string;
  monitoring_url: string;
  status: UpResult['status'];
}

export interface DemoResult {
  schema_version: 1;
  cluster: string;
  dir: string;
  temporary: boolean;
  nodes: DemoNode[];
  meta_leader: string | null;
  servers: string;
  connect: string;
  /** Detached: the commands that stop the nodes. */
  stop_commands: string[];
  stopped: boolean;
}

interface PortSet {
  client: number;
  cluster: number;
  http: number;
}

/** 4222/6222/8222 (+1, +2) when all nine are free, else ports the OS picks. */
async function choosePorts(): Promise<PortSet[]> {
  const preferred = [0, 1, 2].map((i) => ({ client: 4222 + i, cluster: 6222 + i, http: 8222 + i }));
  const all = preferred.flatMap((p) => [p.client, p.cluster, p.http]);
  if ((await Promise.all(all.map((p) => isPortFree(p)))).every(Boolean)) return preferred;
  const picked = new Set<number>();
  while (picked.size < DEMO_NODES * 3) picked.add(await pickFreePort());
  const list = [...picked];
  return [0, 1, 2].map((i) => ({ client: list[3 * i]!, cluster: list[3 * i + 1]!, http: list[3 * i + 2]! }));
}

async function readState(folder: string): Promise<NodeState | null> {
  try {
    return JSON.parse(await readFile(join(folder, 'state.json'), 'utf8')) as NodeState;
  } catch {
    return null;
  }
}

export interface DemoDeps extends UpDeps {
  /** Called once all nodes are ready (foreground: before waiting for Ctrl-C). */
  onReady?: (r: DemoResult) => void;
  /** Second Ctrl-C: stop immediately instead of lame duck. */
  forceSignal?: AbortSignal;
}

export async function demo(opts: DemoOptions, deps: DemoDeps): Promise<DemoResult> {
  const env = await loadEnvironment(deps);
  await env.resolve(); // fail early (ERR-CORE-0001) before creating anything
  const temporary = opts.dir === undefined;
  const dir = temporary ? await mkdtemp(join(tmpdir(), 'nats-bootstrap-demo-')) : resolve(deps.cwd, opts.dir!);
  await mkdir(dir, { recursive: true });
  const folders = [1, 2, 3].map((i) => join(dir, `node${i}`));
  // A demo folder used before keeps its ports (the server names and JetStream state are there).
  const states = await Promise.all(folders.map(readState));
  const ports: PortSet[] = states.every((s) => s !== null) ? states.map((s) => s!.ports) : await choosePorts();
  const seeds = ports.map((p) => `127.0.0.1:${p.cluster}`);

  deps.progress(`demo: starting ${DEMO_NODES} nodes of cluster "${DEMO_CLUSTER}" in ${dir}…`);
  const settled = await Promise.allSettled(
    folders.map((folder, i) =>
      up(
        {
          command: 'up',
          cluster: DEMO_CLUSTER,
          seeds,
          serverName: `node${i + 1}`,
          datafolder: folder,
          clientPort: String(ports[i]!.client),
          clusterPort: String(ports[i]!.cluster),
          httpPort: String(ports[i]!.http),
          detach: true,
          rejoin: false,
          service: false,
          passthrough: [],
        },
        { ...deps, progress: (l) => deps.progress(`node${i + 1}: ${l}`) },
      ),
    ),
  );
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(folders.map((f) => stopNode(f, { now: true }).catch(() => undefined)));
    if (temporary) await rm(dir, { recursive: true, force: true });
    throw failed.reason;
  }
  const results = settled.map((s) => (s as PromiseFulfilledResult<UpResult>).value);
  const probe = await probeReadiness(ports[0]!.http);
  const servers = ports.map((p) => `nats://127.0.0.1:${p.client}`).join(',');
  const result: DemoResult = {
    schema_version: 1,
    cluster: DEMO_CLUSTER,
    dir,
    temporary,
    nodes: results.map((r, i) => ({
      name: r.server_name,
      datafolder: r.datafolder,
      pid: r.pid,
      client_url: `nats://127.0.0.1:${ports[i]!.client}`,
      monitoring_url: `http://127.0.0.1:${ports[i]!.http}`,
      status: r.status,
    })),
    meta_leader: probe.metaLeader,
    servers,
    connect: `nats -s ${servers} stream ls`,
    stop_commands: folders.map((f) => `nats-bootstrap down --confirm --datafolder ${f}`),
    stopped: false,
  };
  if (opts.detach) return result;

  deps.onReady?.(result);
  // The nodes are detached processes: keep this process alive until Ctrl-C.
  const keepAlive = setInterval(() => undefined, 60_000);
  try {
    if (!deps.signal.aborted) await new Promise<void>((r) => deps.signal.addEventListener('abort', () => r(), { once: true }));
  } finally {
    clearInterval(keepAlive);
  }
  const now = deps.forceSignal?.aborted ?? false;
  deps.progress(`demo: stopping the nodes (${now ? 'now' : 'lame duck; Ctrl-C again stops them now'})…`);
  const onForce = () => {
    deps.progress('demo: stopping the nodes now…');
    for (const f of folders) stopNode(f, { now: true }).catch(() => undefined);
  };
  deps.forceSignal?.addEventListener('abort', onForce, { once: true });
  const stops = await Promise.allSettled(
    folders.map((f) => stopNode(f, { now, bin: undefined, timeoutMs: now ? 15_000 : 60_000 }).catch(async (e: unknown) => {
      if (e instanceof NbsError && e.id === 'ERR-BOOT-0006') return null; // already stopped
      // Lame duck too slow: stop it now.
      return stopNode(f, { now: true });
    })),
  );
  deps.forceSignal?.removeEventListener('abort', onForce);
  const stopFailed = stops.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (stopFailed) throw stopFailed.reason;
  if (temporary) await rm(dir, { recursive: true, force: true });
  return { ...result, stopped: true, stop_commands: [] };
}
