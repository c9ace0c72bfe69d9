/**
 * `demo`: a 3-node JetStream cluster and a controller on this machine, for a first try (DESIGN §4).
 *
 * Default (secured): a cluster identity (`init` into `<dir>/identity`), three nodes started with
 * the node bundle (each a normal `up --bundle --detach` with its own data folder under the demo
 * folder), and the controller — in this process for a foreground demo (Ctrl-C stops it, then the
 * nodes), as a detached `controller start` child with a pid file for `--detach`. The controller
 * logs to `<dir>/controller.log`. `--no-controller`: three open nodes, no identity (the first demo).
 */
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { NbsError } from '../domain/errors.js';
import { CONTROLLER_FILES, type NatsCliContext } from '../domain/identity.js';
import type { NodeState } from '../domain/node-state.js';
import { DataFolder, writeFileAtomic } from '../infra/data-folder.js';
import { probeReadiness } from '../infra/nats-server-process.js';
import { isPortFree, pickFreePort } from '../infra/port-probe.js';
import { stopNode } from './down.js';
import { loadEnvironment } from './environment.js';
import { CONTEXT_ROLES, contextName, initIdentity, type ContextRole } from './init.js';
import { up, type UpDeps, type UpResult } from './up.js';

export const DEMO_CLUSTER = 'demo';
export const DEMO_NODES = 3;

/** Files of the demo folder besides node1..3. */
export const DEMO_FILES = {
  identity: 'identity',
  controllerLog: 'controller.log',
  controllerPid: 'controller.pid',
} as const;

export interface DemoOptions {
  dir?: string | undefined;
  detach: boolean;
  /** false = `--no-controller`: open nodes, no identity, no controller. */
  controller: boolean;
}

export interface DemoNode {
  name: string;
  datafolder: string;
  pid: number | null;
  client_url: string;
  monitoring_url: string;
  status: UpResult['status'];
}

export interface DemoController {
  /** in-process: runs inside the demo command (foreground); detached: a background child. */
  mode: 'in-process' | 'detached';
  status: 'started' | 'already-running' | 'stopped';
  pid: number | null;
  id: string | null;
  log_file: string;
  pid_file: string | null;
}

export interface DemoContext {
  name: string;
  file: string;
  user: ContextRole;
}

export interface DemoStep {
  what: string;
  commands: string[];
}

export interface DemoResult {
  schema_version: 1;
  cluster: string;
  dir: string;
  temporary: boolean;
  /** Nodes started with the node bundle (accounts, no anonymous clients). */
  secured: boolean;
  /** The identity folder written by init, or null for an open demo. */
  identity: string | null;
  nodes: DemoNode[];
  meta_leader: string | null;
  servers: string;
  /** A nats CLI command line that connects (as the application user when secured). */
  connect: string;
  /** nats CLI context files (controller, system, application user). */
  contexts: DemoContext[];
  controller: DemoController | null;
  /** What to try next, with the exact commands. */
  next_steps: DemoStep[];
  /** Wall time from the start of the command until everything was ready. */
  ready_ms: number;
  /** Detached: the commands that stop the controller and the nodes. */
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

/** state.json of a demo node folder; null when missing or unreadable (the folder is then started afresh). */
function readState(folder: string): Promise<NodeState | null> {
  return new DataFolder(folder, folder).readState().catch(() => null);
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

export interface DemoDeps extends UpDeps {
  /** Called once everything is ready (foreground: before waiting for Ctrl-C). */
  onReady?: (r: DemoResult) => void;
  /** Second Ctrl-C: stop immediately instead of lame duck. */
  forceSignal?: AbortSignal;
}

/** The identity of the demo: reused when the folder has one (its contexts get the current URLs), else created. */
async function ensureIdentity(identity: string, seeds: string[], clientUrls: string[], deps: DemoDeps): Promise<DemoContext[]> {
  const contexts = CONTEXT_ROLES.map((role) => {
    const name = contextName(DEMO_CLUSTER, role);
    return { name, file: join(identity, CONTROLLER_FILES.contextsDir, `${name}.json`), user: role };
  });
  if (!(await exists(join(identity, CONTROLLER_FILES.bundle)))) {
    deps.progress(`demo: creating the cluster identity in ${identity}…`);
    await initIdentity({ cluster: DEMO_CLUSTER, out: identity, seeds, cwd: deps.cwd, clientUrls });
    return contexts;
  }
  // A demo folder used before: keep its keys; point the contexts at today's ports, write missing ones.
  const url = clientUrls.join(',');
  for (const c of contexts) {
    let ctx: NatsCliContext | null = null;
    try {
      ctx = JSON.parse(await readFile(c.file, 'utf8')) as NatsCliContext;
    } catch {
      ctx = null;
    }
    const nkey = join(identity, CONTROLLER_FILES.seed(c.user));
    if (ctx?.url === url && ctx.nkey === nkey) continue;
    const fresh: NatsCliContext = { description: ctx?.description ?? `nats-bootstrap cluster ${DEMO_CLUSTER}: ${c.user}`, url, nkey };
    await mkdir(join(identity, CONTROLLER_FILES.contextsDir), { recursive: true, mode: 0o700 });
    await writeFileAtomic(c.file, `${JSON.stringify(fresh, null, 2)}\n`, 0o600);
  }
  return contexts;
}

interface ControllerHandle {
  info: DemoController;
  /** Stop it (graceful; `now` = do not wait for requests in progress). */
  stop: (now: boolean, force?: AbortSignal) => Promise<void>;
}

async function startInProcessController(identity: string, servers: string[], logFile: string, deps: DemoDeps): Promise<ControllerHandle> {
  const [{ pino }, { startController }] = await Promise.all([import('pino'), import('./controller/service.js')]);
  const dest = pino.destination({ dest: logFile, append: true, sync: true, mkdir: true });
  const log = pino({ name: 'nbs-controller', level: deps.env['NBS_LOG_LEVEL'] ?? 'info' }, dest);
  const abort = new AbortController();
  let running;
  try {
    running = await startController({ dir: identity, cwd: deps.cwd, servers, signal: abort.signal, log, auditReplicas: DEMO_NODES });
  } catch (e) {
    dest.end();
    throw e;
  }
  const r = running;
  return {
    info: { mode: 'in-process', status: 'started', pid: process.pid, id: r.id, log_file: logFile, pid_file: null },
    stop: async (now, force) => {
      abort.abort();
      let timer: NodeJS.Timeout | undefined;
      let onForce: (() => void) | undefined;
      const finished = await Promise.race([
        r.done.then(() => true),
        new Promise<boolean>((res) => {
          timer = setTimeout(() => res(false), now ? 0 : 10_000);
          onForce = () => res(false);
          force?.addEventListener('abort', onForce, { once: true });
        }),
      ]);
      clearTimeout(timer);
      if (onForce) force?.removeEventListener('abort', onForce);
      if (!finished) await r.closeNow();
      dest.end();
    },
  };
}

async function startDetachedController(identity: string, servers: string[], logFile: string, pidFile: string, deps: DemoDeps): Promise<ControllerHandle> {
  const { spawnDetachedController, stopControllerProcess, waitForControllerStarted } = await import('../infra/controller-process.js');
  const from = await stat(logFile).then((s) => s.size, () => 0);
  const pid = await spawnDetachedController({ identityDir: identity, servers, logFile, pidFile, env: deps.env });
  const res = await waitForControllerStarted(pid, logFile, from, 30_000);
  if (!res.started) {
    await stopControllerProcess(pid, pidFile, 3000);
    const tail = res.log.split('\n').filter(Boolean).slice(-10).map((l) => `  ${l}`);
    throw new NbsError('ERR-CTL-0001', `the demo controller did not start (${res.exited ? 'it exited' : 'not started after 30 s'})`, {
      hint: `read ${logFile}`,
      details: [`log tail (${logFile}):`, ...tail],
    });
  }
  return {
    info: { mode: 'detached', status: 'started', pid, id: null, log_file: logFile, pid_file: pidFile },
    stop: async () => {
      await stopControllerProcess(pid, pidFile);
    },
  };
}

function nextSteps(r: Omit<DemoResult, 'next_steps'>): DemoStep[] {
  const first = r.nodes[0]?.datafolder ?? '';
  const last = r.nodes[r.nodes.length - 1]?.datafolder ?? '';
  if (!r.secured) {
    return [
      { what: 'connect (open cluster: no credentials needed)', commands: [r.connect, `nats -s ${r.nodes[0]?.client_url ?? ''} pub hello world`] },
      { what: 'status', commands: [`nats-bootstrap status --datafolder ${first}`] },
    ];
  }
  const file = (role: ContextRole) => r.contexts.find((c) => c.user === role)!;
  const app = file('app-user');
  const control = file('controller');
  const ctxDir = join(r.identity ?? '', CONTROLLER_FILES.contextsDir);
  return [
    {
      what: 'connect as the application user (a recent nats CLI takes the context file itself)',
      commands: [`nats --context ${app.file} pub hello world`, `nats --context ${app.file} stream add ORDERS --subjects 'orders.>' --replicas 3 --defaults`],
    },
    {
      what: 'or install the contexts and use their names',
      commands: [`mkdir -p ~/.config/nats/context && cp ${ctxDir}/*.json ~/.config/nats/context/`, `nats --context ${app.name} pub hello world`],
    },
    { what: 'watch the control plane (requests, replies, events)', commands: [`nats --context ${control.file} sub 'nbs.>'`] },
    { what: 'a client without credentials is refused', commands: [`nats -s ${r.nodes[0]?.client_url ?? ''} pub hello world`] },
    { what: 'ask the controller and look at a node', commands: [`nats-bootstrap doctor --controller --datafolder ${first}`, `nats-bootstrap status --datafolder ${first}`] },
    { what: 'a safe leave: the controller checks quorum, the node stops and is removed from the cluster', commands: [`nats-bootstrap leave --confirm --datafolder ${last}`] },
  ];
}

export async function demo(opts: DemoOptions, deps: DemoDeps): Promise<DemoResult> {
  const t0 = Date.now();
  const env = await loadEnvironment(deps);
  await env.resolve(); // fail early (ERR-CORE-0001) before creating anything
  const temporary = opts.dir === undefined;
  const dir = temporary ? await mkdtemp(join(tmpdir(), 'nats-bootstrap-demo-')) : resolve(deps.cwd, opts.dir!);
  const folders = [1, 2, 3].map((i) => join(dir, `node${i}`));
  const identity = join(dir, DEMO_FILES.identity);
  const logFile = join(dir, DEMO_FILES.controllerLog);
  const pidFile = join(dir, DEMO_FILES.controllerPid);
  const secured = opts.controller;
  // A demo folder used before keeps its ports (the server names and JetStream state are there)
  // and its kind: an open demo does not silently become a secured one, nor the other way round.
  const states = await Promise.all(folders.map(readState));
  const wasSecured = states.some((s) => s?.bundle) || (await exists(join(identity, CONTROLLER_FILES.bundle)));
  const wasOpen = states.some((s) => s !== null && !s.bundle);
  if (secured && wasOpen) {
    throw new NbsError('ERR-CORE-0004', `the demo folder ${dir} holds an open demo (started with --no-controller)`, {
      hint: 'run demo --no-controller on it, or pass another --dir for a secured demo',
    });
  }
  if (!secured && wasSecured) {
    throw new NbsError('ERR-CORE-0004', `the demo folder ${dir} holds a secured demo (identity and controller)`, {
      hint: 'run demo without --no-controller on it, or pass another --dir for an open demo',
    });
  }
  await mkdir(dir, { recursive: true });
  const ports: PortSet[] = states.every((s) => s !== null) ? states.map((s) => s!.ports) : await choosePorts();
  const seeds = ports.map((p) => `127.0.0.1:${p.cluster}`);
  const clientUrls = ports.map((p) => `nats://127.0.0.1:${p.client}`);
  const servers = clientUrls.join(',');

  let contexts: DemoContext[] = [];
  try {
    if (secured) contexts = await ensureIdentity(identity, seeds, clientUrls, deps);
  } catch (e) {
    if (temporary) await rm(dir, { recursive: true, force: true });
    throw e;
  }
  const bundle = secured ? join(identity, CONTROLLER_FILES.bundle) : undefined;

  deps.progress(`demo: starting ${DEMO_NODES} ${secured ? 'secured ' : ''}nodes of cluster "${DEMO_CLUSTER}" in ${dir}…`);
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
          // Routes are not authenticated: a secured demo keeps them on this machine.
          ...(secured ? { bundle, listen: `127.0.0.1:${ports[i]!.cluster}` } : {}),
          detach: true,
          rejoin: false,
          service: false,
          passthrough: [],
        },
        { ...deps, progress: (l) => deps.progress(`node${i + 1}: ${l}`) },
      ),
    ),
  );
  const stopAllNow = async () => {
    await Promise.all(folders.map((f) => stopNode(f, { now: true }).catch(() => undefined)));
    if (temporary) await rm(dir, { recursive: true, force: true });
  };
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await stopAllNow();
    const e = failed.reason as unknown;
    if (e instanceof NbsError && e.id === 'ERR-BOOT-0009') {
      // A node of this folder left the cluster (a tried `leave`): the demo does not rejoin it.
      throw new NbsError(e.id, e.message, { hint: `start a fresh demo with another --dir (or remove ${dir})`, cause: e });
    }
    throw e;
  }
  const results = settled.map((s) => (s as PromiseFulfilledResult<UpResult>).value);

  // The controller: reuse a detached one of this folder, else start one.
  let controller: ControllerHandle | null = null;
  if (secured) {
    const { runningControllerPid, stopControllerProcess } = await import('../infra/controller-process.js');
    const running = await runningControllerPid(pidFile, identity);
    try {
      if (running !== null) {
        deps.progress(`demo: the controller of this folder already runs (pid ${running})`);
        controller = {
          info: { mode: 'detached', status: 'already-running', pid: running, id: null, log_file: logFile, pid_file: pidFile },
          stop: async () => {
            await stopControllerProcess(running, pidFile);
          },
        };
      } else {
        deps.progress(`demo: starting the controller (log: ${logFile})…`);
        controller = opts.detach
          ? await startDetachedController(identity, clientUrls, logFile, pidFile, deps)
          : await startInProcessController(identity, clientUrls, logFile, deps);
      }
    } catch (e) {
      await stopAllNow();
      throw e;
    }
  }

  const probe = await probeReadiness(ports[0]!.http);
  const nodes: DemoNode[] = results.map((r, i) => ({
    name: r.server_name,
    datafolder: r.datafolder,
    pid: r.pid,
    client_url: clientUrls[i]!,
    monitoring_url: `http://127.0.0.1:${ports[i]!.http}`,
    status: r.status,
  }));
  const appContext = contexts.find((c) => c.user === 'app-user');
  const base: Omit<DemoResult, 'next_steps'> = {
    schema_version: 1,
    cluster: DEMO_CLUSTER,
    dir,
    temporary,
    secured,
    identity: secured ? identity : null,
    nodes,
    meta_leader: probe.metaLeader,
    servers,
    connect: appContext ? `nats --context ${appContext.file} stream ls` : `nats -s ${servers} stream ls`,
    contexts,
    controller: controller?.info ?? null,
    ready_ms: Date.now() - t0,
    stop_commands: [
      ...(controller?.info.mode === 'detached' && controller.info.pid !== null ? [`kill ${controller.info.pid}`] : []),
      ...folders.map((f) => `nats-bootstrap down --confirm --datafolder ${f}`),
    ],
    stopped: false,
  };
  const result: DemoResult = { ...base, next_steps: nextSteps(base) };
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
  if (controller) {
    deps.progress('demo: stopping the controller…');
    await controller.stop(now, deps.forceSignal);
  }
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
  return {
    ...result,
    stopped: true,
    stop_commands: [],
    controller: result.controller ? { ...result.controller, status: 'stopped' } : null,
  };
}
