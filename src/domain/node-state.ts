/**
 * A node's state in its data folder (DESIGN §3): `state.json`. The server name is chosen once and
 * never changes — JetStream derives the peer identity from it.
 */
import { dialHost, formatHostPort, parseSeeds } from './seeds.js';

export const DATA_FILES = {
  config: 'nats-bootstrap.conf',
  pid: 'nats-server.pid',
  log: 'nats-server.log',
  state: 'state.json',
  jetstream: 'jetstream',
  /** request_id of a leave in progress, kept so a retried leave reuses it. */
  leaveRequest: 'leave-request.json',
} as const;

export interface NodePorts {
  client: number;
  cluster: number;
  http: number;
}

export interface LeftMarker {
  at: string;
  request_id: string;
  /** Final status the controller reported (e.g. "removed", "pending"). */
  result: string;
}

export interface NodeState {
  schema_version: 1;
  server_name: string;
  /** Cluster name (bootstrap mode) or null for a user-managed config. */
  cluster: string | null;
  mode: 'bootstrap' | 'user-config';
  ports: NodePorts;
  /** Address the client port listens on (default 0.0.0.0). */
  host?: string;
  seeds: string[];
  /** Absolute path of the node bundle for a secured cluster, or null. */
  bundle: string | null;
  /** User-managed config (`--nats-config`), absolute, or null. */
  nats_config?: string | null;
  created_at: string;
  updated_at: string;
  /** Set when the node left the cluster: a plain `up` refuses, `up --rejoin` clears it. */
  left: LeftMarker | null;
  /** Server names used before (rejoin with a new name on servers older than 2.11.2). */
  previous_names?: string[];
  /** Lame-duck settings written to the generated config (down waits longer than their sum). */
  lame_duck?: { duration_s: number; grace_period_s: number };
}

export const DEFAULT_PORTS: NodePorts = { client: 4222, cluster: 6222, http: 8222 };

/** The client URL of the node's own server, as a client on this machine dials it. */
export function ownClientUrl(state: NodeState): string {
  return `nats://${formatHostPort({ host: dialHost(state.host), port: state.ports.client })}`;
}

/** Client URLs of the node's seeds: each seed host on the node's client port (a bad seed throws). */
export function seedClientUrls(state: NodeState): string[] {
  return parseSeeds(state.seeds, state.ports.cluster).map((s) => `nats://${formatHostPort({ host: s.host, port: state.ports.client })}`);
}

/** Where a client on the node reaches its cluster (controller requests): its own server first, then the seeds. */
export function nodeClientUrls(state: NodeState): string[] {
  return [...new Set([ownClientUrl(state), ...seedClientUrls(state)])];
}
