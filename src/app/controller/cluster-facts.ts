/**
 * What the controller sees of the cluster: servers answering `$SYS.REQ.SERVER.PING.JSZ` (system
 * account), the meta group from the meta leader's answer, and the replicated streams of the
 * application and control accounts with their cluster info (`$JS.API.STREAM.LIST` in each
 * account). Only the meta leader lists the meta replicas (nats-server 2.9.10).
 */
import type { MetaFacts, PeerFact, StreamFacts } from '../../domain/quorum.js';
import type { NatsConnection } from '../../infra/nats-connection.js';

interface JszReply {
  server?: { name?: string; id?: string; ver?: string };
  data?: {
    meta_cluster?: {
      name?: string;
      leader?: string;
      peer?: string;
      cluster_size?: number;
      replicas?: Array<{ name: string; current?: boolean; offline?: boolean; peer?: string }>;
    };
    streams?: number;
    disabled?: boolean;
  };
}

export interface ServerFact {
  name: string;
  id: string;
  version: string;
  meta_leader: string | null;
}

export interface ClusterFacts {
  servers: ServerFact[];
  meta: MetaFacts;
  /** cluster_size reported by the servers (max). */
  meta_cluster_size: number;
  /** False when the meta leader did not answer: the peer list is incomplete. */
  meta_complete: boolean;
}

/** Scatter-gather over the system account: every server that is up answers once. */
async function pingServers(sys: NatsConnection, waitMs = 400): Promise<JszReply[]> {
  const out: JszReply[] = [];
  const it = await sys.requestMany('$SYS.REQ.SERVER.PING.JSZ', '{}', { strategy: 'stall', stall: waitMs, maxWait: waitMs * 5 });
  for await (const m of it) {
    try {
      out.push(m.json<JszReply>());
    } catch {
      /* a server answered something else: ignore */
    }
  }
  return out;
}

export async function gatherClusterFacts(sys: NatsConnection, waitMs?: number): Promise<ClusterFacts> {
  const replies = await pingServers(sys, waitMs);
  const servers: ServerFact[] = replies
    .filter((r) => r.server?.name)
    .map((r) => ({
      name: r.server!.name!,
      id: r.server?.id ?? '',
      version: r.server?.ver ?? '',
      meta_leader: r.data?.meta_cluster?.leader || null,
    }));
  const up = new Set(servers.map((s) => s.name));
  const leaderReply = replies.find((r) => r.server?.name && r.server.name === r.data?.meta_cluster?.leader);
  const leaders = new Set(servers.map((s) => s.meta_leader).filter((x): x is string => Boolean(x)));
  const size = Math.max(0, ...replies.map((r) => r.data?.meta_cluster?.cluster_size ?? 0));
  if (!leaderReply) {
    // No leader (or it did not answer): we only know the servers that are up.
    return {
      servers,
      meta: { leader: leaders.size === 1 && up.has([...leaders][0]!) ? [...leaders][0]! : null, peers: servers.map((s) => ({ name: s.name, online: true })) },
      meta_cluster_size: size,
      meta_complete: false,
    };
  }
  const mc = leaderReply.data!.meta_cluster!;
  const peers: PeerFact[] = [{ name: mc.leader!, ...(mc.peer ? { peer_id: mc.peer } : {}), online: true }];
  for (const r of mc.replicas ?? []) {
    peers.push({ name: r.name, ...(r.peer ? { peer_id: r.peer } : {}), online: up.has(r.name) && r.offline !== true });
  }
  return { servers, meta: { leader: mc.leader!, peers }, meta_cluster_size: size, meta_complete: true };
}

/** Streams of one account (KV buckets are streams KV_<bucket>) with their RAFT members. */
async function gatherStreams(nc: NatsConnection, account: string, up: Set<string>): Promise<StreamFacts[]> {
  const { jetstreamManager } = await import('@nats-io/jetstream');
  const jsm = await jetstreamManager(nc, { timeout: 5000 });
  const out: StreamFacts[] = [];
  for await (const si of jsm.streams.list()) {
    const peers: PeerFact[] = [];
    const c = si.cluster;
    if (c?.leader) peers.push({ name: c.leader, online: up.has(c.leader) });
    for (const r of c?.replicas ?? []) {
      peers.push({ name: r.name, online: up.has(r.name) && r.offline !== true });
    }
    out.push({ account, name: si.config.name, replicas: si.config.num_replicas ?? 1, peers });
  }
  return out;
}

/** Streams of the application and the control account, as the servers that answered `facts` see them. */
export async function gatherClusterStreams(conns: { app: NatsConnection; control: NatsConnection }, facts: ClusterFacts): Promise<StreamFacts[]> {
  const up = new Set(facts.servers.map((s) => s.name));
  const [app, control] = await Promise.all([gatherStreams(conns.app, 'APP', up), gatherStreams(conns.control, 'CONTROL', up)]);
  return [...app, ...control];
}
