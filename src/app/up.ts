/**
 * `up` / `join` / `start`: validate everything (plan), check the config with `nats-server -t`,
 * write config + state into the data folder, then run nats-server in the foreground or start it
 * in the background and wait until it is ready (or fail with the log tail and a diagnosis).
 */
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { hostname as osHostname, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { buildPlan, userConfigOf, type BootstrapPlan, type UpRequest } from '../domain/bootstrap-plan.js';
import { DEFAULT_DATAFOLDER } from '../domain/config.js';
import { NbsError } from '../domain/errors.js';
import type { NodePorts, NodeState } from '../domain/node-state.js';
import { formatHostPort } from '../domain/seeds.js';
import { renderServerConfig, type SecuritySection } from '../domain/server-config.js';
import { DataFolder, writeFileAtomic } from '../infra/data-folder.js';
import {
  fileSize,
  killServer,
  probeReadiness,
  readLogFrom,
  readLogTail,
  readRouteInfo,
  signalServer,
  spawnDetached,
  spawnForeground,
  testConfig,
  waitForReady,
  type ReadinessProbe,
} from '../infra/nats-server-process.js';
import { loadEnvironment, type EnvironmentInput } from './environment.js';
import { probeVersion, resolveBinary } from './resolve-binary.js';

export interface UpCommand extends UpRequest {
  datafolder?: string | undefined;
}

export interface UpDeps extends EnvironmentInput {
  /** Progress lines (stderr). */
  progress: (line: string) => void;
  /** Graceful stop request (Ctrl-C): foreground → lame duck; detach → abandon the wait. */
  signal: AbortSignal;
  /** Second Ctrl-C in the foreground: stop immediately. */
  forceSignal?: AbortSignal;
  hostname?: string;
  now?: () => Date;
}

export interface UpResult {
  schema_version: 1;
  status: 'ready' | 'already-running' | 'exited';
  command: UpRequest['command'];
  datafolder: string;
  server_name: string;
  cluster: string | null;
  mode: NodeState['mode'];
  pid: number | null;
  ports: NodePorts;
  seeds: string[];
  config_file: string;
  log_file: string | null;
  detached: boolean;
  ready: null | { meta_leader: string | null; cluster_size: number | null; routes: number; elapsed_ms: number };
  rejoin: null | { previous_name: string; server_name: string; renamed: boolean };
  notes: string[];
  /** Foreground: the exit code of nats-server. */
  exit_code?: number | null;
}

/**
 * THE place where a node bundle (`--bundle`) becomes the security section of the generated
 * config (secured clusters, issue 4). Until then: not available — refused before anything is written.
 */
export async function securityFromBundle(bundlePath: string | null | undefined, ctx: { cwd: string }, cluster?: string | null): Promise<SecuritySection | undefined> {
  if (bundlePath === null || bundlePath === undefined) return undefined;
  const { readBundle } = await import('../infra/bundle-file.js');
  const { renderSecuredConfig } = await import('../domain/secured-config.js');
  const bundle = await readBundle(resolve(ctx.cwd, bundlePath));
  if (cluster && cluster !== bundle.cluster) {
    throw new NbsError('ERR-CTL-0002', `--cluster ${cluster} does not match the node bundle's cluster "${bundle.cluster}"`);
  }
  return renderSecuredConfig(bundle);
}

/** Refuse a data folder that is a file, or whose parent path runs through a file. */
async function checkDataFolderPath(df: DataFolder): Promise<boolean> {
  try {
    if (await df.exists()) return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOTDIR') throw e;
  }
  let p = dirname(df.root);
  for (;;) {
    try {
      const st = await stat(p);
      if (!st.isDirectory()) throw new NbsError('ERR-BOOT-0008', `data folder ${df.root}: ${p} is a file, not a folder`);
      return false;
    } catch (e) {
      if (e instanceof NbsError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw e;
    }
    const up = dirname(p);
    if (up === p) return false;
    p = up;
  }
}

/** The monitoring port a user-managed config declares (`http: [host:]port`, `http_port`, `monitor_port`). */
export function httpPortFromConfigText(text: string): number | null {
  const m = /^\s*(?:http|http_port|monitor_port)\s*[:=]?\s*"?(?:[^"\s]*:)?(\d{1,5})"?\s*$/m.exec(text);
  return m ? Number(m[1]) : null;
}

async function readUserConfig(path: string): Promise<string> {
  try {
    const st = await stat(path);
    if (!st.isFile()) throw new NbsError('ERR-BOOT-0001', `--nats-config ${path} is not a file`);
    return await readFile(path, 'utf8');
  } catch (e) {
    if (e instanceof NbsError) throw e;
    throw new NbsError('ERR-BOOT-0001', `--nats-config ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/**
 * Ask each seed's route port who listens there (the INFO line comes before any handshake) and
 * refuse up front when a running seed already uses our server name or another cluster name.
 * Seeds that do not answer are skipped: they may simply not be up yet.
 */
async function checkSeeds(plan: BootstrapPlan): Promise<void> {
  if (plan.mode !== 'bootstrap' || plan.cluster === null || plan.seeds.length === 0) return;
  const infos = await Promise.all(plan.seeds.map(async (s) => ({ seed: s, info: await readRouteInfo(s.host, s.port, 800) })));
  for (const { seed, info } of infos) {
    if (!info) continue;
    if (info.server_name === plan.serverName) {
      throw new NbsError('ERR-BOOT-0011', `server name "${plan.serverName}" is already used by the running server at seed ${formatHostPort(seed)}`, {
        data: { seed: formatHostPort(seed), server_name: plan.serverName },
      });
    }
    if (info.cluster && info.cluster !== plan.cluster) {
      throw new NbsError('ERR-BOOT-0012', `seed ${formatHostPort(seed)} runs cluster "${info.cluster}", this node would join "${plan.cluster}"`, {
        data: { seed: formatHostPort(seed), seed_cluster: info.cluster, cluster: plan.cluster },
      });
    }
  }
}

function baseResult(plan: BootstrapPlan, df: DataFolder, cmd: UpCommand): Omit<UpResult, 'status' | 'pid' | 'ready'> {
  return {
    schema_version: 1,
    command: cmd.command,
    datafolder: df.root,
    server_name: plan.serverName,
    cluster: plan.cluster,
    mode: plan.mode,
    ports: plan.ports,
    seeds: plan.seeds.map(formatHostPort),
    config_file: plan.configPath,
    log_file: cmd.detach ? df.path('log') : null,
    detached: cmd.detach,
    rejoin: plan.rejoin ? { previous_name: plan.rejoin.previousName, server_name: plan.rejoin.serverName, renamed: plan.rejoin.renamed } : null,
    notes: plan.notes,
  };
}

function readyFacts(p: ReadinessProbe, elapsedMs: number): NonNullable<UpResult['ready']> {
  return { meta_leader: p.metaLeader, cluster_size: p.clusterSize, routes: p.routes, elapsed_ms: elapsedMs };
}

/** `nats-server -t` on the generated text (via a temp file) or on the user's config file. */
async function checkConfig(bin: string, configText: string | null, userConfigPath: string): Promise<void> {
  if (configText === null) {
    const check = await testConfig(bin, userConfigPath);
    if (!check.ok) throw new NbsError('ERR-BOOT-0004', `nats-server -t rejected ${userConfigPath}`, { details: check.output.split('\n') });
    return;
  }
  const tmp = await mkdtemp(join(tmpdir(), 'nbs-check-'));
  try {
    const f = join(tmp, 'nats-bootstrap.conf');
    await writeFile(f, configText, { mode: 0o600 });
    const check = await testConfig(bin, f);
    if (!check.ok) throw new NbsError('ERR-BOOT-0004', 'nats-server -t rejected the generated config', { details: check.output.split('\n') });
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

export async function up(cmd: UpCommand, deps: UpDeps): Promise<UpResult> {
  const env = await loadEnvironment(deps);
  const cfg = env.config.values;
  const df = new DataFolder(cmd.datafolder ?? cfg.datafolder ?? DEFAULT_DATAFOLDER, deps.cwd);
  // Look-ups that need only the config start side by side; each is awaited where it stood in the
  // sequence, so the error reported first is still the one of the earliest step.
  // `--version` only where the plan needs it (a rejoin); `nats-server -t` below runs the binary anyway.
  const binaryP = resolveBinary(env.resolveOptions, { version: false });
  binaryP.catch(() => undefined);
  const folderExists = await checkDataFolderPath(df);
  const procP = folderExists ? df.processStatus() : Promise.resolve({ pid: null, running: false, stale: false });
  procP.catch(() => undefined);
  const state = folderExists ? await df.readState() : null;

  // Not available yet: refused before anything is written.
  if (cmd.service) throw new NbsError('ERR-CORE-0003', 'up --service: not available yet (run nats-server under your own service manager for now)');
  const security = await securityFromBundle(cmd.bundle ?? cfg.bundle ?? state?.bundle ?? null, deps, cmd.cluster ?? state?.cluster);

  const natsConfig = cmd.natsConfig !== undefined ? resolve(deps.cwd, cmd.natsConfig) : undefined;
  const userConfigPath = userConfigOf({ natsConfig, cluster: cmd.cluster }, state);
  const userConfigHttpPort =
    userConfigPath !== undefined && cmd.cluster === undefined ? httpPortFromConfigText(await readUserConfig(userConfigPath)) : null;

  const binary = await binaryP;
  if (state?.left && cmd.rejoin) Object.assign(binary, await probeVersion(binary.path));
  const plan = buildPlan({
    request: { ...cmd, natsConfig, ...(cmd.bundle !== undefined ? { bundle: resolve(deps.cwd, cmd.bundle) } : {}) },
    config: cfg,
    state,
    paths: { root: df.root, config: df.path('config'), pid: df.path('pid'), log: df.path('log'), state: df.path('state'), jetstream: df.path('jetstream') },
    hostname: deps.hostname ?? osHostname(),
    serverVersion: binary.version,
    now: (deps.now?.() ?? new Date()).toISOString(),
    userConfigHttpPort,
    ...(security ? { security } : {}),
  });

  // Re-running up on a running node: say so, change nothing.
  const proc = await procP;
  if (proc.running && proc.pid !== null) {
    const current = state ?? plan.state;
    const probe = await probeReadiness(current.ports.http);
    return {
      ...baseResult(plan, df, cmd),
      server_name: current.server_name,
      cluster: current.cluster,
      ports: current.ports,
      status: 'already-running',
      pid: proc.pid,
      ready: probe.listening ? readyFacts(probe, 0) : null,
      notes: [`nats-server ${proc.pid} already runs from ${df.root}; nothing changed (to apply other settings: down --confirm, then up)`],
    };
  }

  // Seed check and `nats-server -t` on the exact text, side by side, before anything lands in
  // the data folder.
  const configText = plan.serverConfig ? renderServerConfig(plan.serverConfig) : null;
  await Promise.all([checkSeeds(plan), checkConfig(binary.path, configText, plan.configPath)]);

  // Write: folder, rejoin wipe, config, state; a stale pid file goes.
  await df.ensure();
  if (plan.rejoin) await rm(df.path('jetstream'), { recursive: true, force: true });
  await Promise.all([
    configText !== null ? writeFileAtomic(df.path('config'), configText, 0o600) : undefined,
    df.writeState(plan.state),
    proc.stale ? df.removePid() : undefined,
  ]);
  for (const n of plan.notes) deps.progress(`note: ${n}`);

  if (cmd.detach) return startDetached(plan, df, cmd, deps, binary.path);
  return runAttached(plan, df, cmd, deps, binary.path);
}

async function startDetached(plan: BootstrapPlan, df: DataFolder, cmd: UpCommand, deps: UpDeps, bin: string): Promise<UpResult> {
  const logPath = df.path('log');
  const logStart = await fileSize(logPath);
  const pid = await spawnDetached(bin, plan.args, logPath, df.root);
  deps.progress(`started nats-server ${pid} (${plan.serverName}); waiting until it is ready (up to ${plan.readyTimeoutS} s)…`);
  const res = await waitForReady({ httpPort: plan.ports.http, pid, timeoutMs: plan.readyTimeoutS * 1000, signal: deps.signal, watchPath: df.root });
  if (res.ready) {
    // A user-managed config names its server itself: record the name the server reports.
    const name = res.last.serverName;
    if (plan.mode === 'user-config' && name && name !== plan.serverName) {
      await df.writeState({ ...plan.state, server_name: name });
      return { ...baseResult(plan, df, cmd), server_name: name, status: 'ready', pid, ready: readyFacts(res.last, res.elapsedMs) };
    }
    return { ...baseResult(plan, df, cmd), status: 'ready', pid, ready: readyFacts(res.last, res.elapsedMs) };
  }
  // Not ready: diagnose from this start's log, stop the half-started process, fail.
  if (!res.exited) await killServer(pid, bin);
  await new Promise((r) => setTimeout(r, 100));
  const logText = await readLogFrom(logPath, logStart);
  const { diagnoseServerLog } = await import('../domain/server-log-diagnosis.js');
  const diagnosis = diagnoseServerLog(logText, {
    exited: res.exited ? 'see log' : null,
    listening: res.last.listening,
    seeds: plan.seeds.length,
    routes: res.last.routes,
    metaLeader: res.last.metaLeader,
    healthError: res.last.healthError,
  });
  await df.removePid();
  const tail = (await readLogTail(logPath, 60))
    .filter((l) => !/\[INF\] {2,}|\[INF\] (?:-{3,}| *$| *https:\/\/docs\.nats\.io| *[_|\\ ]{5,})/.test(l))
    .slice(-20)
    .map((l) => `  ${l}`);
  const why = res.aborted ? 'interrupted' : res.exited ? 'nats-server exited' : `not ready after ${plan.readyTimeoutS} s`;
  throw new NbsError('ERR-BOOT-0005', `${plan.serverName} did not become ready (${why}); the process was stopped`, {
    details: [...diagnosis.map((d) => `diagnosis: ${d.message}`), `log tail (${logPath}):`, ...tail],
    data: { diagnosis, log_file: logPath, last_probe: res.last },
  });
}

async function runAttached(plan: BootstrapPlan, df: DataFolder, cmd: UpCommand, deps: UpDeps, bin: string): Promise<UpResult> {
  const run = await spawnForeground(bin, plan.args);
  const stopPolling = new AbortController();
  let stopping = false;
  const onStop = () => {
    if (stopping) return;
    stopping = true;
    deps.progress(`stopping ${plan.serverName} (lame duck, up to ${plan.lameDuck.duration_s + plan.lameDuck.grace_period_s} s; Ctrl-C again stops it now)…`);
    signalServer(run.pid, 'ldm', bin).catch(() => undefined);
  };
  const onForce = () => {
    deps.progress(`stopping ${plan.serverName} now…`);
    signalServer(run.pid, 'term', bin).catch(() => undefined);
  };
  if (deps.signal.aborted) onStop();
  deps.signal.addEventListener('abort', onStop, { once: true });
  deps.forceSignal?.addEventListener('abort', onForce, { once: true });
  let ready: UpResult['ready'] = null;
  const readiness = waitForReady({ httpPort: plan.ports.http, pid: run.pid, timeoutMs: 24 * 3600_000, signal: stopPolling.signal, intervalMs: 250 }).then((r) => {
    if (r.ready) {
      ready = readyFacts(r.last, r.elapsedMs);
      deps.progress(`ready: ${plan.serverName}${r.last.metaLeader ? `, meta leader ${r.last.metaLeader}` : ''} (Ctrl-C stops it with lame duck)`);
    }
  });
  const exit = await run.exited;
  stopPolling.abort();
  await readiness.catch(() => undefined);
  deps.signal.removeEventListener('abort', onStop);
  deps.forceSignal?.removeEventListener('abort', onForce);
  await df.removePid();
  const code = exit.code ?? (exit.signal ? 128 : 1);
  return { ...baseResult(plan, df, cmd), status: 'exited', pid: run.pid, ready, exit_code: code };
}
