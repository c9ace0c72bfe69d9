/**
 * `up` / `join`: flags + config file + the data folder's state → one validated, typed plan.
 * Pure: no I/O. Everything a user can get wrong is refused here, before anything is written or
 * started (exit 2), so `app/up.ts` only executes a plan that is known to be consistent.
 */
import type { BootstrapConfig } from './config.js';
import { NbsError } from './errors.js';
import { DEFAULT_PORTS, type NodePorts, type NodeState } from './node-state.js';
import { formatHostPort, parseHostPort, parsePort, parseSeeds, routeUrl, validateName, type HostPort } from './seeds.js';
import type { SecuritySection, ServerConfigSpec } from './server-config.js';
import { versionAtLeast } from './binary-resolution.js';

/** nats-server 2.9.10 refuses a lame_duck_duration below 30 s. */
export const MIN_LAME_DUCK_DURATION_S = 30;
export const DEFAULT_LAME_DUCK_DURATION_S = 30;
export const DEFAULT_LAME_DUCK_GRACE_PERIOD_S = 3;
export const DEFAULT_READY_TIMEOUT_S = 60;
/** From this version old peers accept a removed server back under its old name (DESIGN §9). */
export const SAME_NAME_REJOIN_VERSION = '2.11.2';

/** The typed flags of up/join/start (raw strings for ports: they are validated here). */
export interface UpRequest {
  command: 'up' | 'join' | 'start';
  cluster?: string | undefined;
  seeds: string[];
  serverName?: string | undefined;
  listen?: string | undefined;
  clientPort?: string | undefined;
  clusterPort?: string | undefined;
  httpPort?: string | undefined;
  /** Absolute path of a user-managed config (--nats-config). */
  natsConfig?: string | undefined;
  bundle?: string | undefined;
  detach: boolean;
  rejoin: boolean;
  service: boolean;
  passthrough: string[];
}

export interface DataFolderPaths {
  root: string;
  config: string;
  pid: string;
  log: string;
  state: string;
  jetstream: string;
}

export interface PlanInputs {
  request: UpRequest;
  config: BootstrapConfig;
  state: NodeState | null;
  paths: DataFolderPaths;
  hostname: string;
  /** Version of the nats-server binary in use (null: unknown → treated as old). */
  serverVersion: string | null;
  now: string;
  /** http port found in a user-managed config file (app reads the file), if any. */
  userConfigHttpPort?: number | null;
  /** Security section from a node bundle (secured cluster); absent = open cluster. */
  security?: SecuritySection;
}

export interface RejoinStep {
  /** Wipe `<datafolder>/jetstream` before starting. */
  wipeJetstream: true;
  previousName: string;
  /** The name used from now on (differs from previousName on servers older than 2.11.2). */
  serverName: string;
  renamed: boolean;
}

export interface BootstrapPlan {
  mode: 'bootstrap' | 'user-config';
  serverName: string;
  cluster: string | null;
  seeds: HostPort[];
  ports: NodePorts;
  clusterListen: HostPort | null;
  /** The generated config (bootstrap mode) or null (user-config). */
  serverConfig: ServerConfigSpec | null;
  /** The config file nats-server runs with. */
  configPath: string;
  /** nats-server arguments (without the log file option). */
  args: string[];
  lameDuck: { duration_s: number; grace_period_s: number };
  readyTimeoutS: number;
  detach: boolean;
  rejoin: RejoinStep | null;
  /** Warnings and notes the CLI prints (stderr). */
  notes: string[];
  /** state.json to write before the start. */
  state: NodeState;
}

const FORBIDDEN_PASSTHROUGH = new Set(['-c', '--config', '-P', '--pid', '-l', '--log', '-sl', '--signal', '-t']);

function portFrom(flag: string | undefined, flagName: string, configValue: number | undefined, stateValue: number | undefined, def: number): number {
  if (flag !== undefined) return parsePort(flag, flagName);
  if (configValue !== undefined) return parsePort(configValue, `config ${flagName.replace(/^--/, '').replace(/-/g, '_')}`);
  if (stateValue !== undefined) return stateValue;
  return def;
}

/**
 * The user-managed config a start runs with: `--nats-config`, else (without `--cluster`) the one
 * state.json recorded; undefined = a generated config. `up` reads that file before planning.
 */
export function userConfigOf(r: Pick<UpRequest, 'natsConfig' | 'cluster'>, state: NodeState | null): string | undefined {
  return r.natsConfig ?? (r.cluster === undefined && state?.mode === 'user-config' ? (state.nats_config ?? undefined) : undefined);
}

export function buildPlan(inp: PlanInputs): BootstrapPlan {
  const { request: r, config: cfg, state, paths } = inp;
  const notes: string[] = [];

  // 1. Flags that exclude each other or are not available.
  if (r.cluster !== undefined && r.natsConfig !== undefined) {
    throw new NbsError('ERR-BOOT-0003', '--cluster and --nats-config cannot be used together');
  }
  for (const a of r.passthrough) {
    const name = a.split('=')[0]!;
    if (FORBIDDEN_PASSTHROUGH.has(name)) {
      throw new NbsError('ERR-BOOT-0001', `nats-server argument ${name} after -- is managed by nats-bootstrap`, {
        hint: 'use --nats-config for your own config; the pid and log files live in the data folder',
      });
    }
  }

  // 2. Mode and cluster name.
  const userConfig = userConfigOf(r, state);
  const mode: BootstrapPlan['mode'] = userConfig !== undefined ? 'user-config' : 'bootstrap';
  if (mode === 'user-config') {
    const generatedOnly: Array<[unknown, string]> = [
      [r.seeds.length > 0 ? true : undefined, '--seed'],
      [r.listen, '--listen'],
      [r.clusterPort, '--cluster-port'],
    ];
    for (const [v, flag] of generatedOnly) {
      if (v !== undefined) throw new NbsError('ERR-BOOT-0003', `${flag} applies to generated configs only; with --nats-config set it in your config file`);
    }
  }
  let cluster: string | null = null;
  if (mode === 'bootstrap') {
    const raw = r.cluster ?? cfg.cluster ?? (state?.mode === 'bootstrap' ? state.cluster : null) ?? null;
    cluster = raw === null ? null : validateName(raw, '--cluster');
    if (state?.mode === 'bootstrap' && state.cluster !== null && cluster !== null && state.cluster !== cluster) {
      throw new NbsError('ERR-BOOT-0001', `data folder ${paths.root} belongs to cluster "${state.cluster}", not "${cluster}"`, {
        hint: 'use another --datafolder for another cluster',
      });
    }
  }

  // 3. Ports and addresses.
  const clientPort = portFrom(r.clientPort, '--client-port', cfg.client_port, state?.ports.client, DEFAULT_PORTS.client);
  let clusterPort = portFrom(r.clusterPort, '--cluster-port', cfg.cluster_port, state?.ports.cluster, DEFAULT_PORTS.cluster);
  let clusterListen: HostPort | null = null;
  const listenRaw = r.listen ?? cfg.listen;
  if (listenRaw !== undefined) {
    const hp = parseHostPort(listenRaw, clusterPort, r.listen !== undefined ? '--listen' : 'config listen');
    if (hp.port !== clusterPort && r.clusterPort !== undefined) {
      throw new NbsError('ERR-BOOT-0001', `--listen ${listenRaw} and --cluster-port ${clusterPort} name different ports`);
    }
    clusterPort = hp.port;
    clusterListen = hp;
  }
  let httpPort = portFrom(r.httpPort, '--http-port', cfg.http_port, state?.ports.http, DEFAULT_PORTS.http);
  if (mode === 'user-config' && r.httpPort === undefined && inp.userConfigHttpPort) httpPort = inp.userConfigHttpPort;
  const ports: NodePorts = { client: clientPort, cluster: clusterPort, http: httpPort };
  if (mode === 'bootstrap') {
    const used = [clientPort, clusterPort, httpPort];
    if (new Set(used).size !== used.length) {
      throw new NbsError('ERR-BOOT-0001', `client, cluster and monitoring ports must differ (got ${clientPort}, ${clusterPort}, ${httpPort})`);
    }
  }
  if (mode === 'bootstrap' && cluster !== null) clusterListen ??= { host: '0.0.0.0', port: clusterPort };
  else clusterListen = mode === 'bootstrap' ? null : clusterListen;

  // 4. Seeds.
  let seeds: HostPort[] = [];
  if (mode === 'bootstrap') {
    const rawSeeds = r.seeds.length > 0 ? r.seeds : (cfg.seeds ?? (state?.cluster === cluster ? state?.seeds : undefined) ?? []);
    seeds = parseSeeds(rawSeeds, clusterPort);
    if (cluster === null && seeds.length > 0) {
      throw new NbsError('ERR-BOOT-0001', '--seed needs --cluster NAME', { hint: 'give the cluster a name with --cluster' });
    }
    // join --cluster needs seeds by contract; up --cluster too: nats-server refuses a JetStream
    // cluster without routes ("JetStream cluster requires configured routes").
    if (cluster !== null && seeds.length === 0) {
      throw new NbsError('ERR-BOOT-0002', `${r.command} --cluster needs at least one --seed (a JetStream cluster needs routes)`);
    }
  }

  // 5. Server name: chosen once, kept in state.json.
  let serverName: string;
  if (state) {
    serverName = state.server_name;
    if (r.serverName !== undefined && r.serverName !== state.server_name && !(state.previous_names ?? []).includes(r.serverName)) {
      throw new NbsError('ERR-BOOT-0010', `--server-name ${r.serverName} conflicts with the name "${state.server_name}" this data folder was created with`);
    }
  } else {
    const candidate = r.serverName ?? inp.hostname;
    try {
      serverName = validateName(candidate, '--server-name');
    } catch (e) {
      if (r.serverName !== undefined) throw e;
      throw new NbsError('ERR-BOOT-0001', `host name "${candidate}" cannot be a server name: ${(e as Error).message}`, { hint: 'pass --server-name NAME' });
    }
  }

  // 6. Left marker and rejoin.
  let rejoin: RejoinStep | null = null;
  const previousNames = [...(state?.previous_names ?? [])];
  if (state?.left) {
    if (!r.rejoin) {
      throw new NbsError('ERR-BOOT-0009', `this node (${state.server_name}) left the cluster on ${state.left.at}; a plain up would bring back stale JetStream state`);
    }
    let next = state.server_name;
    let renamed = false;
    if (!versionAtLeast(inp.serverVersion, SAME_NAME_REJOIN_VERSION)) {
      const base = previousNames[0] ?? state.server_name;
      const taken = new Set([...previousNames, state.server_name]);
      let n = previousNames.length + 1;
      while (taken.has(`${base}-r${n}`)) n++;
      next = validateName(`${base}-r${n}`, '--server-name');
      renamed = true;
      notes.push(
        `rejoining as "${next}" (was "${state.server_name}"): nats-server ${inp.serverVersion ?? '(unknown version)'} is older than ${SAME_NAME_REJOIN_VERSION}, whose peers refuse a removed server under its old name`,
      );
    }
    notes.push(`rejoin: wiping ${paths.jetstream} (stale JetStream state) and starting as a fresh member`);
    previousNames.push(...(renamed ? [state.server_name] : []));
    rejoin = { wipeJetstream: true, previousName: state.server_name, serverName: next, renamed };
    serverName = next;
  } else if (r.rejoin) {
    notes.push('--rejoin ignored: this data folder is not marked as left');
  }

  // 7. Lame duck and readiness.
  const duration = cfg.lame_duck_duration_s ?? state?.lame_duck?.duration_s ?? DEFAULT_LAME_DUCK_DURATION_S;
  const grace = cfg.lame_duck_grace_period_s ?? state?.lame_duck?.grace_period_s ?? DEFAULT_LAME_DUCK_GRACE_PERIOD_S;
  if (duration < MIN_LAME_DUCK_DURATION_S) {
    throw new NbsError('ERR-BOOT-0001', `lame_duck_duration_s ${duration} is below ${MIN_LAME_DUCK_DURATION_S}: nats-server refuses a shorter lame-duck duration`);
  }
  if (grace >= duration) {
    throw new NbsError('ERR-BOOT-0001', `lame_duck_grace_period_s (${grace}) must be smaller than lame_duck_duration_s (${duration})`);
  }
  const readyTimeoutS = cfg.ready_timeout_s ?? DEFAULT_READY_TIMEOUT_S;

  // 8. Server config and arguments.
  let serverConfig: ServerConfigSpec | null = null;
  let configPath: string;
  let args: string[];
  if (mode === 'bootstrap') {
    serverConfig = {
      serverName,
      clientHost: state?.host ?? '0.0.0.0',
      clientPort,
      httpHost: '0.0.0.0',
      httpPort,
      cluster: cluster === null ? null : { name: cluster, listenHost: clusterListen!.host, listenPort: clusterListen!.port, routes: seeds.map(routeUrl) },
      // nats-server appends "jetstream" itself: the store ends up in <datafolder>/jetstream.
      storeDir: paths.root,
      pidFile: paths.pid,
      lameDuckDurationS: duration,
      lameDuckGracePeriodS: grace,
      header: ['Generated by nats-bootstrap: edits are overwritten by the next up.', 'The server name is fixed in state.json (the JetStream identity of this node).'],
      ...(inp.security ? { security: inp.security } : {}),
    };
    configPath = paths.config;
    args = ['-c', configPath, ...r.passthrough];
  } else {
    configPath = userConfig!;
    args = ['-c', configPath, '-P', paths.pid];
    if (r.httpPort !== undefined || !inp.userConfigHttpPort) args.push('-m', String(httpPort));
    if (r.clientPort !== undefined) args.push('-p', String(clientPort));
    args.push(...r.passthrough);
  }

  const newState: NodeState = {
    schema_version: 1,
    server_name: serverName,
    cluster,
    mode,
    ports,
    ...(state?.host ? { host: state.host } : {}),
    seeds: seeds.map(formatHostPort),
    bundle: r.bundle ?? state?.bundle ?? null,
    nats_config: mode === 'user-config' ? configPath : null,
    created_at: state?.created_at ?? inp.now,
    updated_at: inp.now,
    left: null,
    ...(previousNames.length > 0 ? { previous_names: previousNames } : {}),
    lame_duck: { duration_s: duration, grace_period_s: grace },
  };

  return {
    mode,
    serverName,
    cluster,
    seeds,
    ports,
    clusterListen,
    serverConfig,
    configPath,
    args,
    lameDuck: { duration_s: duration, grace_period_s: grace },
    readyTimeoutS,
    detach: r.detach,
    rejoin,
    notes,
    state: newState,
  };
}

