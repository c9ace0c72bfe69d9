/**
 * The cluster as one node's monitoring endpoint reports it (`/varz`, `/jsz`, `/routez`,
 * `/healthz`), reduced to the facts `status` prints and `doctor` judges. Pure: the inputs are the
 * parsed JSON bodies (structural subsets, so infra's response types fit).
 */

export interface VarzFacts {
  server_id?: string;
  server_name?: string;
  version?: string;
  port?: number;
  http_port?: number;
  cluster?: { name?: string; cluster_port?: number };
  jetstream?: unknown;
}

export interface JszFacts {
  disabled?: boolean;
  meta_cluster?: {
    name?: string;
    leader?: string;
    cluster_size?: number;
    replicas?: Array<{ name: string; current: boolean; offline?: boolean; active?: number; lag?: number }>;
  };
}

export interface RoutezFacts {
  num_routes?: number;
  routes?: Array<{ remote_id: string; remote_name?: string }>;
}

export interface HealthzFacts {
  status: string;
  error?: string;
}

export interface MetaPeer {
  name: string;
  /** This node itself (the monitoring endpoint's server). */
  self: boolean;
  leader: boolean;
  /** Caught up with the meta leader (the node itself counts as current when it has a leader). */
  current: boolean;
  offline: boolean;
  /** Entries behind the leader, when the server reports it. */
  lag: number | null;
  /** Milliseconds since the peer was last heard of, when the server reports it. */
  active_ms: number | null;
}

export interface ClusterView {
  server_name: string | null;
  server_id: string | null;
  version: string | null;
  cluster_name: string | null;
  /** Ports the running server actually listens on. */
  listening: { client: number | null; cluster: number | null; http: number | null };
  jetstream: boolean;
  meta_leader: string | null;
  cluster_size: number | null;
  peers: MetaPeer[];
  /**
   * True when the peer list is incomplete: on nats-server 2.9 only the meta leader's /jsz lists
   * the replicas; a follower knows itself and the leader only.
   */
  peers_partial: boolean;
  /** Distinct route peers (newer servers open a pool of routes per peer): by name where reported (2.10+), else by server id (2.9). */
  routes: string[];
  health: { status: string; error: string | null } | null;
}

/** Distinct remote peers of /routez, by name (falling back to the server id). */
export function distinctRouteNames(r: RoutezFacts | null | undefined): string[] {
  return [...new Set((r?.routes ?? []).map((x) => x.remote_name || x.remote_id))].sort();
}

export function clusterView(inp: { varz: VarzFacts; jsz?: JszFacts | null; routez?: RoutezFacts | null; healthz?: HealthzFacts | null }): ClusterView {
  const { varz } = inp;
  const meta = inp.jsz?.meta_cluster;
  const self = varz.server_name ?? null;
  const leader = meta?.leader || null;
  const peers: MetaPeer[] = [];
  const jetstream = Boolean(varz.jetstream) && inp.jsz?.disabled !== true;
  // A standalone JetStream server has no meta group (no /jsz meta_cluster): no peers then.
  if (jetstream && self && meta) {
    peers.push({ name: self, self: true, leader: leader === self, current: leader !== null, offline: false, lag: null, active_ms: null });
  }
  for (const r of meta?.replicas ?? []) {
    if (r.name === self) continue;
    peers.push({
      name: r.name,
      self: false,
      leader: r.name === leader,
      current: r.current,
      offline: r.offline === true,
      lag: typeof r.lag === 'number' ? r.lag : null,
      active_ms: typeof r.active === 'number' ? Math.round(r.active / 1e6) : null,
    });
  }
  // A follower's /jsz lists the other followers; make sure the leader appears too.
  if (leader && !peers.some((p) => p.name === leader)) {
    peers.push({ name: leader, self: false, leader: true, current: true, offline: false, lag: null, active_ms: null });
  }
  peers.sort((a, b) => a.name.localeCompare(b.name));
  const size = meta?.cluster_size ?? null;
  return {
    server_name: self,
    server_id: varz.server_id ?? null,
    version: varz.version ?? null,
    cluster_name: varz.cluster?.name || meta?.name || null,
    listening: { client: varz.port ?? null, cluster: varz.cluster?.cluster_port ?? null, http: varz.http_port ?? null },
    jetstream,
    meta_leader: leader,
    cluster_size: size,
    peers,
    peers_partial: jetstream && size !== null && peers.length < size,
    routes: distinctRouteNames(inp.routez),
    health: inp.healthz ? { status: inp.healthz.status, error: inp.healthz.error ?? null } : null,
  };
}
