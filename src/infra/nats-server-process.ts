/**
 * nats-server processes: config check (`-t`), start in the background or attached, signals
 * (lame duck via `--signal ldm=PID`), log tail, readiness polling and the facts for a diagnosis.
 */
import { execFile, spawn } from 'node:child_process';
import { watch, type FSWatcher } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import { connect as tcpConnect } from 'node:net';
import type { Jsz, Healthz, Varz } from './monitoring.js';
import { isProcessAlive, waitForExit } from './process-check.js';

export interface ConfigCheck {
  ok: boolean;
  output: string;
}

/** `nats-server -t -c FILE`: a syntax check only (DESIGN §9), not proof the server will start. */
export function testConfig(bin: string, configPath: string, extraArgs: string[] = []): Promise<ConfigCheck> {
  return new Promise((resolve) => {
    execFile(bin, ['-t', '-c', configPath, ...extraArgs], { timeout: 15_000, windowsHide: true }, (err, stdout, stderr) => {
      // A binary that cannot run at all (ENOENT, EACCES, ENOEXEC) prints nothing: say why.
      resolve({ ok: !err, output: `${stdout}${stderr}`.trim() || (err ? err.message : '') });
    });
  });
}

/** Start nats-server in the background (own process group, output to `logPath`); resolves its pid. */
export function spawnDetached(bin: string, args: string[], logPath: string, cwd?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, [...args, '-l', logPath], { detached: true, stdio: 'ignore', windowsHide: true, ...(cwd ? { cwd } : {}) });
    child.once('error', reject);
    child.once('spawn', () => {
      child.unref();
      resolve(child.pid!);
    });
  });
}

export interface ForegroundRun {
  pid: number;
  /** Resolves with the exit code (or 128+signal) when the server exits. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/**
 * Start nats-server attached to this terminal (its log on our stdout/stderr). It runs in its own
 * process group so the terminal's Ctrl-C reaches only us: the caller turns it into a lame-duck stop.
 */
export function spawnForeground(bin: string, args: string[]): Promise<ForegroundRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'inherit', 'inherit'], detached: process.platform !== 'win32', windowsHide: true });
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => child.once('exit', (code, signal) => r({ code, signal })));
    child.once('error', reject);
    child.once('spawn', () => resolve({ pid: child.pid!, exited }));
  });
}

export type ServerSignal = 'ldm' | 'stop' | 'term' | 'quit';

const POSIX_SIGNAL: Record<ServerSignal, NodeJS.Signals> = { ldm: 'SIGUSR2', stop: 'SIGKILL', term: 'SIGTERM', quit: 'SIGINT' };

/**
 * Signal a running nats-server: `nats-server --signal <sig>=PID` when the binary is known (the
 * only way on Windows), else the POSIX signal directly (SIGUSR2 = lame duck, SIGTERM = stop).
 */
export async function signalServer(pid: number, sig: ServerSignal, bin?: string): Promise<void> {
  if (bin) {
    const ok = await new Promise<boolean>((resolve) => {
      execFile(bin, ['--signal', `${sig}=${pid}`], { timeout: 10_000, windowsHide: true }, (err) => resolve(!err));
    });
    if (ok) return;
  }
  if (process.platform === 'win32') throw new Error(`cannot signal nats-server ${pid} without the nats-server binary`);
  process.kill(pid, POSIX_SIGNAL[sig]);
}

/** The last `lines` lines of a log file (reads at most the last 64 KiB). */
export async function readLogTail(path: string, lines = 30): Promise<string[]> {
  try {
    const size = (await stat(path)).size;
    const fh = await open(path, 'r');
    try {
      const len = Math.min(size, 65_536);
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      return buf.toString('utf8').split('\n').filter((l) => l.length > 0).slice(-lines);
    } finally {
      await fh.close();
    }
  } catch {
    return [];
  }
}

/** Whole log text since `fromByte` (for the diagnosis of this start only). */
export async function readLogFrom(path: string, fromByte: number): Promise<string> {
  try {
    const size = (await stat(path)).size;
    const start = fromByte <= size ? fromByte : 0;
    const len = Math.min(size - start, 4 * 1024 * 1024);
    const fh = await open(path, 'r');
    try {
      const buf = Buffer.alloc(len);
      await fh.read(buf, 0, len, size - len);
      return buf.toString('utf8');
    } finally {
      await fh.close();
    }
  } catch {
    return '';
  }
}

export async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** One look at a node through its monitoring port. */
export interface ReadinessProbe {
  listening: boolean;
  serverName: string | null;
  version: string | null;
  clusterName: string | null;
  routes: number;
  jetstream: boolean;
  metaLeader: string | null;
  clusterSize: number | null;
  /** Plain /healthz (JetStream current with the meta leader, assigned streams current). */
  healthy: boolean;
  healthError: string | null;
  ready: boolean;
}

/**
 * The monitoring client (node:http with it) and the route count are loaded on the first probe, not
 * with this module: `up` needs them only once nats-server is started, so loading them overlaps the
 * server's own start-up instead of delaying it. Node's global agent keeps connections alive between polls.
 */
let probeDeps:
  | Promise<{ MonitoringClient: typeof import('./monitoring.js').MonitoringClient; distinctRouteNames: typeof import('../domain/cluster-view.js').distinctRouteNames }>
  | undefined;
const loadProbeDeps = () =>
  (probeDeps ??= Promise.all([import('./monitoring.js'), import('../domain/cluster-view.js')]).then(([m, v]) => ({
    MonitoringClient: m.MonitoringClient,
    distinctRouteNames: v.distinctRouteNames,
  })));

export async function probeReadiness(httpPort: number, host = '127.0.0.1'): Promise<ReadinessProbe> {
  const { MonitoringClient, distinctRouteNames } = await loadProbeDeps();
  const mon = MonitoringClient.forPort(httpPort, host, 1500);
  const p: ReadinessProbe = {
    listening: false,
    serverName: null,
    version: null,
    clusterName: null,
    routes: 0,
    jetstream: false,
    metaLeader: null,
    clusterSize: null,
    healthy: false,
    healthError: null,
    ready: false,
  };
  // /varz alone until the port answers: refused polls stay cheap while the CLIs start up.
  let varz: Varz;
  try {
    varz = await mon.varz();
  } catch {
    return p;
  }
  p.listening = true;
  p.serverName = varz.server_name ?? null;
  p.version = varz.version ?? null;
  p.clusterName = varz.cluster?.name ?? null;
  const [jsz, routez] = await Promise.all([mon.jsz().catch((): Jsz | null => null), mon.routez().catch(() => null)]);
  // /healthz logs a warning on every failed call: ask only once /jsz says there is a meta leader
  // (or no cluster), so the log stays readable for the diagnosis.
  const worthAsking = jsz !== null && (jsz.meta_cluster === undefined || Boolean(jsz.meta_cluster.leader));
  const health: Healthz = worthAsking
    ? await mon.healthz().catch((e: unknown): Healthz => ({ status: 'error', error: (e as Error).message }))
    : { status: 'unavailable', error: jsz === null ? 'JetStream not answering' : 'JetStream has not established contact with a meta leader' };
  p.routes = routez ? distinctRouteNames(routez).length : (varz.routes ?? 0);
  p.jetstream = jsz !== null && jsz.disabled !== true && jsz.config !== undefined;
  p.metaLeader = jsz?.meta_cluster?.leader || null;
  p.clusterSize = jsz?.meta_cluster?.cluster_size ?? null;
  p.healthy = health.status === 'ok';
  p.healthError = p.healthy ? null : (health.error ?? health.status);
  const clustered = jsz?.meta_cluster !== undefined;
  // Clustered: a meta leader, and routes up whenever the meta group has more than this node.
  p.ready = p.healthy && p.jetstream && (!clustered || (p.metaLeader !== null && ((p.clusterSize ?? 0) <= 1 || p.routes >= 1)));
  return p;
}

export interface WaitReadyOptions {
  httpPort: number;
  pid: number;
  timeoutMs: number;
  signal?: AbortSignal;
  intervalMs?: number;
  onProbe?: (p: ReadinessProbe) => void;
  /**
   * A folder to watch (the data folder, where the server writes its log): a change wakes the wait
   * early, so readiness is seen right after the server logs it rather than up to one interval later.
   * Probes stay at least `MIN_PROBE_GAP_MS` apart (a failed /healthz logs a warning itself).
   */
  watchPath?: string;
}

const MIN_PROBE_GAP_MS = 25;
/**
 * Right after the meta leader is elected, a node can be ready while the meta group does not yet
 * count every server it has a route to (cluster_size 2 of 3 for a moment). Wait up to this long for
 * the group to take them in; a server that never joins (one without JetStream) only delays by it.
 */
const MEMBERSHIP_SETTLE_MS = 2000;

export interface WaitReadyResult {
  ready: boolean;
  /** Why waiting ended early: the process exited (code unknown for a detached child) or aborted. */
  exited: boolean;
  aborted: boolean;
  last: ReadinessProbe;
  elapsedMs: number;
}

/** Poll /varz, /healthz, /jsz, /routez until the node is ready, the process dies or time is up. */
export async function waitForReady(o: WaitReadyOptions): Promise<WaitReadyResult> {
  const started = Date.now();
  const deadline = started + o.timeoutMs;
  let changed = false;
  let wake: (() => void) | null = null;
  let watcher: FSWatcher | undefined;
  if (o.watchPath !== undefined) {
    try {
      watcher = watch(o.watchPath, { persistent: false }, () => {
        changed = true;
        wake?.();
      });
      watcher.on('error', () => undefined);
    } catch {
      /* no file watching here: the interval alone */
    }
  }
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const since = Date.now();
      const finish = () => {
        clearTimeout(timer);
        wake = null;
        resolve();
      };
      let timer = setTimeout(finish, changed ? Math.min(ms, MIN_PROBE_GAP_MS) : ms);
      changed = false;
      wake = () => {
        wake = null;
        clearTimeout(timer);
        timer = setTimeout(finish, Math.max(0, since + Math.min(ms, MIN_PROBE_GAP_MS) - Date.now()));
      };
    });
  let settlingSince: number | null = null;
  try {
    let last = await probeReadiness(o.httpPort);
    for (;;) {
      o.onProbe?.(last);
      if (last.ready) {
        const absorbing = last.clusterSize !== null && last.clusterSize < last.routes + 1;
        settlingSince ??= Date.now();
        if (!absorbing || Date.now() - settlingSince >= MEMBERSHIP_SETTLE_MS) {
          return { ready: true, exited: false, aborted: false, last, elapsedMs: Date.now() - started };
        }
      }
      if (!(await isProcessAlive(o.pid))) return { ready: false, exited: true, aborted: false, last, elapsedMs: Date.now() - started };
      if (o.signal?.aborted) return { ready: false, exited: false, aborted: true, last, elapsedMs: Date.now() - started };
      if (Date.now() >= deadline) return { ready: false, exited: false, aborted: false, last, elapsedMs: Date.now() - started };
      await pause(o.intervalMs ?? (last.listening ? 50 : 25));
      last = await probeReadiness(o.httpPort);
    }
  } finally {
    watcher?.close();
  }
}

/** The INFO a server sends first on its route port: who listens there. */
export interface RouteInfo {
  server_id: string;
  server_name?: string;
  cluster?: string;
  version?: string;
}

/**
 * Connect to a seed's route port and read the INFO line (sent before any handshake), then close.
 * null when nothing answers in time. Used to refuse a duplicate server name or a cluster-name
 * mismatch before starting anything.
 */
export function readRouteInfo(host: string, port: number, timeoutMs = 1000): Promise<RouteInfo | null> {
  return new Promise((resolve) => {
    let buf = '';
    let done = false;
    const sock = tcpConnect({ host, port });
    const finish = (v: RouteInfo | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve(v);
    };
    const timer = setTimeout(() => finish(null), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('data', (d: string) => {
      buf += d;
      const nl = buf.indexOf('\r\n');
      if (nl < 0) {
        if (buf.length > 65_536) finish(null);
        return;
      }
      const line = buf.slice(0, nl);
      if (!line.startsWith('INFO ')) return finish(null);
      try {
        finish(JSON.parse(line.slice(5)) as RouteInfo);
      } catch {
        finish(null);
      }
    });
    sock.on('error', () => finish(null));
    sock.on('close', () => finish(null));
  });
}

/** Kill a half-started server: SIGTERM (or --signal term), then SIGKILL after `graceMs`. */
export async function killServer(pid: number, bin: string | undefined, graceMs = 5000): Promise<void> {
  try {
    await signalServer(pid, 'term', bin);
  } catch {
    /* already gone */
  }
  if (await waitForExit(pid, graceMs)) return;
  try {
    if (process.platform === 'win32') await signalServer(pid, 'stop', bin);
    else process.kill(pid, 'SIGKILL');
  } catch {
    /* gone */
  }
}

