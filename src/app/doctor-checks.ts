/**
 * `doctor` checks (DESIGN §8.5): a list of small checks, each `{id, title, run(ctx)}` returning
 * ok | warn | fail with a message and a hint. Facts are gathered once into a DoctorContext; a check
 * may do its own small I/O (bind a port, write a probe file). To add a check, append one entry to
 * DOCTOR_CHECKS (use `enabled` for checks behind a flag, e.g. `doctor --controller`).
 * The IDs are documented in docs/troubleshooting.md.
 */
import { constants } from 'node:fs';
import { access, open, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { versionAtLeast } from '../domain/binary-resolution.js';
import { SAME_NAME_REJOIN_VERSION } from '../domain/bootstrap-plan.js';
import type { LoadedConfig } from '../domain/config.js';
import type { NbsError } from '../domain/errors.js';
import type { NodePorts } from '../domain/node-state.js';
import { probeCandidate } from '../infra/binary-probe.js';
import { tryBind } from '../infra/port-probe.js';
import type { ResolutionReport } from './resolve-binary.js';
import type { ClusterFacts, NodeFacts } from './status.js';
import { controllerCheck } from './controller/doctor-check.js';

export type CheckStatus = 'ok' | 'warn' | 'fail';

export interface CheckResult {
  status: CheckStatus;
  message: string;
  /** What to do about it; null when there is nothing to do. */
  hint: string | null;
}

export interface DoctorOptions {
  /** doctor --controller: also ping the controller over NATS. */
  controller: boolean;
}

export interface DoctorContext {
  cwd: string;
  env: Record<string, string | undefined>;
  platform: NodeJS.Platform;
  /** The config in use; `{path: …, values: {}}` when the file is invalid (see configError). */
  config: LoadedConfig;
  /** Why the config file could not be used (ERR-CORE-0002 invalid, ERR-CORE-0006 missing/unreadable). */
  configError: NbsError | null;
  resolution: ResolutionReport;
  node: NodeFacts;
  /** The running node's monitoring view (memoised); null when the node does not run. */
  cluster(): Promise<ClusterFacts | null>;
  options: DoctorOptions;
  /** Global flags, for checks that connect somewhere (e.g. the controller check). */
  global: { config?: string | undefined; natsServerPath?: string | undefined };
}

export interface DoctorCheck {
  id: string;
  title: string;
  /** Run only when this says so (default: always). */
  enabled?: (ctx: DoctorContext) => boolean;
  run(ctx: DoctorContext): Promise<CheckResult>;
}

/** Oldest nats-server release nats-bootstrap is tested with. */
export const MIN_SERVER_VERSION = '2.9.0';

const ok = (message: string, hint: string | null = null): CheckResult => ({ status: 'ok', message, hint });
const warn = (message: string, hint: string): CheckResult => ({ status: 'warn', message, hint });
const fail = (message: string, hint: string): CheckResult => ({ status: 'fail', message, hint });

export const resolutionCheck: DoctorCheck = {
  id: 'resolution',
  title: 'nats-server resolution',
  async run({ resolution }) {
    const s = resolution.selected;
    if (s) return ok(`${s.path} (from ${s.source})`);
    const tried = resolution.attempts.map((a) => `${a.source} ${a.candidate ? `${a.candidate}: ` : ''}${a.reason}`).join('; ');
    return fail(
      `nats-server not found (${tried})`,
      `install nats-server (apt-get install nats-server), put it on PATH, set NATS_SERVER_PATH, pass --nats-server-path, or copy it to ${resolution.binDir}`,
    );
  },
};

export const versionCheck: DoctorCheck = {
  id: 'version',
  title: 'nats-server version',
  async run({ resolution }) {
    const s = resolution.selected;
    if (!s) return warn('version unknown: no nats-server resolved', 'fix the resolution check first');
    if (!s.version) return warn(`version unknown: ${s.versionWarning ?? `${s.path} --version printed no version`}`, `run "${s.path} --version" by hand; is it really nats-server?`);
    if (!versionAtLeast(s.version, MIN_SERVER_VERSION)) {
      return warn(`nats-server ${s.version} is older than ${MIN_SERVER_VERSION}`, `install nats-server ${MIN_SERVER_VERSION} or newer (JetStream clustering fixes)`);
    }
    const note = versionAtLeast(s.version, SAME_NAME_REJOIN_VERSION) ? '' : ` (before ${SAME_NAME_REJOIN_VERSION} a node that left rejoins under a new server name)`;
    return ok(`nats-server ${s.version}${note}`);
  },
};

export const configCheck: DoctorCheck = {
  id: 'config',
  title: 'config file',
  async run({ config, configError }) {
    if (configError) return fail(`${configError.id}: ${configError.message}`, configError.hint);
    if (!config.path) return ok('no config file (./nats-config.json, ~/.nats-bootstrap/nats-config.json); defaults in use');
    return ok(`${config.path} (${config.source}) is valid`);
  },
};

export const nodeStateCheck: DoctorCheck = {
  id: 'node-state',
  title: 'node state (state.json)',
  async run({ node }) {
    if (node.state_error) return fail(`state.json unusable: ${node.state_error}`, 'fix or move the file away; pass --datafolder if this is not the node\'s folder');
    if (node.left) {
      return warn(`node ${node.server_name ?? '?'} left the cluster at ${node.left.at} (request ${node.left.request_id}: ${node.left.result})`, 'up refuses until you run up --rejoin (fresh JetStream state)');
    }
    if (node.pending_leave) {
      return warn(`a leave is in progress since ${node.pending_leave.since} (${node.pending_leave.file})`, 'run leave --confirm again: it reuses the same request and returns the recorded result');
    }
    if (!node.state_file) return ok(node.exists ? `no state.json in ${node.datafolder} (node not set up yet)` : `${node.datafolder} does not exist yet (node not set up)`);
    return ok(`server ${node.server_name ?? '?'}, cluster ${node.cluster ?? '(user config)'}, ${node.mode ?? '?'} mode`);
  },
};

export const pidCheck: DoctorCheck = {
  id: 'pid',
  title: 'pid file',
  async run({ node }) {
    if (node.running) return ok(`nats-server runs (pid ${node.pid}, ${node.pid_file})`);
    if (node.stale_pid) {
      return warn(`stale pid file: ${node.pid_file} names pid ${node.pid}, which is not a running nats-server`, `the node is not running; remove ${node.pid_file} (up replaces it) and start it with up`);
    }
    return ok('no pid file: the node is not running');
  },
};

export const portsCheck: DoctorCheck = {
  id: 'ports',
  title: 'ports free or held by this node',
  async run(ctx) {
    const { node } = ctx;
    const names = ['client', 'cluster', 'http'] as const;
    const held = await Promise.all(names.map((n) => tryBind(node.ports[n])));
    let listening: Partial<NodePorts> = {};
    if (node.running && held.some((h) => h !== null)) {
      const c = await ctx.cluster();
      if (c?.reachable && c.listening) {
        listening = Object.fromEntries(names.filter((n) => c.listening![n] !== null).map((n) => [n, c.listening![n]])) as Partial<NodePorts>;
      }
    }
    const parts: string[] = [];
    const foreign: string[] = [];
    const unsure: string[] = [];
    names.forEach((n, i) => {
      const port = node.ports[n];
      const code = held[i];
      if (code === null) parts.push(`${n} ${port} free`);
      else if (code === 'EADDRINUSE' && Object.values(listening).includes(port)) parts.push(`${n} ${port} held by this node`);
      else if (code === 'EADDRINUSE' && node.running) {
        unsure.push(`${n} ${port}`);
        parts.push(`${n} ${port} in use (this node runs, but its monitoring endpoint did not confirm the port)`);
      } else if (code === 'EADDRINUSE') {
        foreign.push(`${n} ${port}`);
        parts.push(`${n} ${port} in use by another process`);
      } else {
        unsure.push(`${n} ${port}`);
        parts.push(`${n} ${port} cannot be bound (${code})`);
      }
    });
    const message = `${parts.join('; ')} (${node.ports_source === 'default' ? 'default ports' : `ports from ${node.ports_source === 'state' ? 'state.json' : 'the config file'}`})`;
    if (foreign.length) {
      return fail(message, `stop the other process (ss -ltnp | grep -E '${foreign.map((f) => f.split(' ')[1]).join('|')}') or choose other ports (--client-port/--cluster-port/--http-port or the config file)`);
    }
    if (unsure.length) return warn(message, 'check with ss -ltnp which process holds the port; a node started by hand may have other ports than state.json says');
    return ok(message);
  },
};

async function nearestExisting(path: string): Promise<{ path: string; isDir: boolean } | null> {
  let p = path;
  for (;;) {
    try {
      const st = await stat(p);
      return { path: p, isDir: st.isDirectory() };
    } catch {
      const up = dirname(p);
      if (up === p) return null;
      p = up;
    }
  }
}

export const dataFolderCheck: DoctorCheck = {
  id: 'datafolder',
  title: 'data folder writable',
  async run({ node }) {
    const root = node.datafolder;
    const hint = 'pass --datafolder pointing to a folder you can write, or fix its permissions';
    const found = await nearestExisting(root);
    if (!found) return fail(`${root}: no existing parent folder`, hint);
    if (!found.isDir) return fail(`${found.path} is not a folder`, hint);
    if (found.path !== root) {
      try {
        await access(found.path, constants.W_OK);
        return ok(`${root} does not exist yet; up creates it (${found.path} is writable)`);
      } catch (e) {
        return fail(`${root} does not exist and ${found.path} is not writable (${(e as NodeJS.ErrnoException).code})`, hint);
      }
    }
    const probe = join(root, `.nbs-doctor-${process.pid}-${Date.now()}.tmp`);
    try {
      const fh = await open(probe, 'wx', 0o600);
      await fh.close();
      await rm(probe, { force: true });
      return ok(`${root} is writable`);
    } catch (e) {
      return fail(`${root} is not writable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, hint);
    }
  },
};

/** The `nats` CLI on PATH (optional: for watching control subjects and for backups by hand). */
export async function findOnPath(name: string, env: Record<string, string | undefined>, platform: NodeJS.Platform): Promise<string | null> {
  const sep = platform === 'win32' ? ';' : ':';
  const file = platform === 'win32' ? `${name}.exe` : name;
  for (const dir of (env['PATH'] ?? env['Path'] ?? '').split(sep).filter(Boolean)) {
    const p = join(dir, file);
    if ((await probeCandidate(p, platform)) === 'ok') return p;
  }
  return null;
}

export const natsCliCheck: DoctorCheck = {
  id: 'nats-cli',
  title: 'nats CLI (optional)',
  async run({ env, platform }) {
    const p = await findOnPath('nats', env, platform);
    if (p) return ok(`nats CLI found at ${p}`);
    return warn('nats CLI not found on PATH (optional)', "install natscli (https://github.com/nats-io/natscli) to watch the control plane: nats sub 'nbs.>'");
  },
};

/** Every check, in the order doctor prints them. Append new checks here. */
export const DOCTOR_CHECKS: DoctorCheck[] = [resolutionCheck, versionCheck, configCheck, nodeStateCheck, pidCheck, portsCheck, dataFolderCheck, natsCliCheck, controllerCheck];

/** Run the enabled checks (concurrently; results in list order). A check that throws is a fail. */
export async function runChecks(ctx: DoctorContext, checks: readonly DoctorCheck[] = DOCTOR_CHECKS): Promise<Array<CheckResult & { id: string; title: string }>> {
  const enabled = checks.filter((c) => c.enabled?.(ctx) ?? true);
  return Promise.all(
    enabled.map(async (c) => {
      try {
        return { id: c.id, title: c.title, ...(await c.run(ctx)) };
      } catch (e) {
        return { id: c.id, title: c.title, status: 'fail' as const, message: `check crashed: ${(e as Error).message}`, hint: 'run again with --debug and report it' };
      }
    }),
  );
}
