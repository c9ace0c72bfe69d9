/**
 * `status`: facts only — the nats-server binary, the config file in use, the node of the data
 * folder and, when it runs, the cluster as its monitoring endpoint reports it. It never judges
 * (that is `doctor`) and never connects over NATS (start-up time).
 */
import { readFile, stat } from 'node:fs/promises';
import type { ResolutionAttempt, ResolutionSource } from '../domain/binary-resolution.js';
import { clusterView, type ClusterView } from '../domain/cluster-view.js';
import type { ConfigSource, LoadedConfig } from '../domain/config.js';
import { DEFAULT_PORTS, type LeftMarker, type NodePorts, type NodeState } from '../domain/node-state.js';
import { dialHost } from '../domain/seeds.js';
import { DataFolder } from '../infra/data-folder.js';
import { MonitoringClient } from '../infra/monitoring.js';
import { loadEnvironment, nodeDataFolder, type EnvironmentInput } from './environment.js';
import { inspectResolution, type ResolutionReport } from './resolve-binary.js';

export interface BinaryFacts {
  path: string;
  version: string | null;
  source: ResolutionSource;
  /** Why the version is unknown (`--version` failed or printed none). */
  version_warning: string | null;
}

export interface PendingLeave {
  /** `leave-request.json` in the data folder: a leave was asked for and has no final result yet. */
  file: string;
  request_id: string | null;
  since: string;
}

export interface NodeFacts {
  datafolder: string;
  /** The data folder exists (as a folder). */
  exists: boolean;
  /** Path of state.json when present. */
  state_file: string | null;
  /** Why state.json could not be read (unreadable or not JSON), else null. */
  state_error: string | null;
  server_name: string | null;
  cluster: string | null;
  mode: NodeState['mode'] | null;
  ports: NodePorts;
  /** Where the ports come from: state.json, the config file, or the defaults 4222/6222/8222. */
  ports_source: 'state' | 'config' | 'default';
  /** Host the node's monitoring endpoint is reached on. */
  host: string;
  pid_file: string;
  pid: number | null;
  running: boolean;
  /** A pid file whose process is gone. */
  stale_pid: boolean;
  /** state.json `left` marker: the node left the cluster (plain `up` refuses). */
  left: LeftMarker | null;
  /** A leave in progress (issue 4 fills the details); null when none. */
  pending_leave: PendingLeave | null;
}

export interface ClusterFacts extends Partial<ClusterView> {
  monitoring_url: string;
  reachable: boolean;
  /** Why the monitoring endpoint (or part of it) did not answer. */
  error: string | null;
}

export interface StatusReport {
  schema_version: 1;
  binary: BinaryFacts | null;
  resolution: { priority: string[]; attempts: ResolutionAttempt[] };
  config: { path: string | null; source: ConfigSource };
  node: NodeFacts;
  /** The cluster as the running node's monitoring endpoint reports it; null when the node does not run. */
  cluster: ClusterFacts | null;
}

export interface StatusInput extends EnvironmentInput {
  /** --datafolder (else config `datafolder`, else ./nats-bootstrap-data). */
  datafolder?: string | undefined;
}

export function binaryFacts(report: ResolutionReport): BinaryFacts | null {
  const s = report.selected;
  return s ? { path: s.path, version: s.version, source: s.source, version_warning: s.versionWarning ?? null } : null;
}

async function readPendingLeave(folder: DataFolder): Promise<PendingLeave | null> {
  const file = folder.path('leaveRequest');
  let text: string;
  let since: string;
  try {
    [text, since] = await Promise.all([readFile(file, 'utf8'), stat(file).then((s) => s.mtime.toISOString())]);
  } catch {
    return null;
  }
  let requestId: string | null = null;
  try {
    const parsed = JSON.parse(text) as { request_id?: unknown };
    if (typeof parsed.request_id === 'string') requestId = parsed.request_id;
  } catch {
    /* an unreadable request file still means a leave was started */
  }
  return { file, request_id: requestId, since };
}

/** The node of a data folder: state.json, pid file + live process, ports, leave markers. Never throws for a missing folder. */
export async function inspectNode(folder: DataFolder, config: LoadedConfig): Promise<NodeFacts> {
  let exists = false;
  let stateError: string | null = null;
  try {
    exists = await folder.exists();
  } catch (e) {
    stateError = (e as Error).message;
  }
  let state: NodeState | null = null;
  if (exists) {
    try {
      state = await folder.readState();
    } catch (e) {
      stateError = (e as Error).message;
    }
  }
  const proc = exists ? await folder.processStatus() : { pid: null, running: false, stale: false };
  const v = config.values;
  const fromConfig = v.client_port !== undefined || v.cluster_port !== undefined || v.http_port !== undefined;
  const ports: NodePorts = state?.ports
    ? { ...state.ports }
    : { client: v.client_port ?? DEFAULT_PORTS.client, cluster: v.cluster_port ?? DEFAULT_PORTS.cluster, http: v.http_port ?? DEFAULT_PORTS.http };
  return {
    datafolder: folder.root,
    exists,
    state_file: state ? folder.path('state') : null,
    state_error: stateError,
    server_name: state?.server_name ?? null,
    cluster: state?.cluster ?? null,
    mode: state?.mode ?? null,
    ports,
    ports_source: state?.ports ? 'state' : fromConfig ? 'config' : 'default',
    host: dialHost(state?.host),
    pid_file: folder.path('pid'),
    pid: proc.pid,
    running: proc.running,
    stale_pid: proc.stale,
    left: state?.left ?? null,
    pending_leave: exists ? await readPendingLeave(folder) : null,
  };
}

function errorText(e: unknown): string {
  const err = e as Error & { cause?: { code?: string } };
  const code = err.cause?.code;
  return code && !err.message.includes(code) ? `${err.message} (${code})` : err.message;
}

/** Ask the node's monitoring endpoint about itself and its cluster. Never throws. */
export async function inspectCluster(node: Pick<NodeFacts, 'host' | 'ports'>, timeoutMs = 2000): Promise<ClusterFacts> {
  const mon = MonitoringClient.forPort(node.ports.http, node.host, timeoutMs);
  const base: ClusterFacts = { monitoring_url: mon.baseUrl, reachable: false, error: null };
  let varz;
  try {
    varz = await mon.varz();
  } catch (e) {
    return { ...base, error: errorText(e) };
  }
  const errors: string[] = [];
  const soft = <T>(p: Promise<T>, what: string): Promise<T | null> =>
    p.catch((e: unknown) => {
      errors.push(`${what}: ${errorText(e)}`);
      return null;
    });
  const [jsz, routez, healthz] = await Promise.all([soft(mon.jsz(), '/jsz'), soft(mon.routez(), '/routez'), soft(mon.healthz(), '/healthz')]);
  return { ...base, reachable: true, error: errors.length ? errors.join('; ') : null, ...clusterView({ varz, jsz, routez, healthz }) };
}

export async function status(input: StatusInput): Promise<StatusReport> {
  const env = await loadEnvironment(input);
  const folder = new DataFolder(nodeDataFolder(env, input.datafolder), input.cwd);
  const [resolution, node] = await Promise.all([inspectResolution(env.resolveOptions), inspectNode(folder, env.config)]);
  return {
    schema_version: 1,
    binary: binaryFacts(resolution),
    resolution: { priority: [...resolution.priority], attempts: resolution.attempts },
    config: { path: env.config.path, source: env.config.source },
    node,
    cluster: node.running ? await inspectCluster(node) : null,
  };
}
