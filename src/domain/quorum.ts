/**
 * Quorum math for a leave (DESIGN §5). Pure: the controller gathers the facts (meta group from
 * the meta leader's jsz via the system account, streams with their cluster info via the
 * application admin) and this module decides.
 *
 * A RAFT group of M peers needs Q = floor(M/2)+1 of them to commit anything — also the peer
 * removal itself, which happens while the leaving node is already stopped. So the group keeps
 * working through the leave when the peers that remain online number at least Q.
 */

export interface PeerFact {
  name: string;
  /** JetStream peer id (hash of the server name), when the server told it. */
  peer_id?: string;
  online: boolean;
}

export interface MetaFacts {
  leader: string | null;
  /** Every member of the meta group, leader included. */
  peers: PeerFact[];
}

export interface StreamFacts {
  account: string;
  name: string;
  replicas: number;
  /** Members of the stream's group (leader + replicas). */
  peers: PeerFact[];
}

export interface GroupCheck {
  /** "meta" or "<account>/<stream>". */
  group: string;
  size: number;
  quorum: number;
  /** Online peers other than the leaving node. */
  remaining_online: number;
  ok: boolean;
  /** "N of M peers would remain, quorum Q". */
  summary: string;
}

export interface LeavePlan {
  server_name: string;
  peer_id: string | null;
  is_meta_peer: boolean;
  meta_leader: string | null;
  meta: GroupCheck | null;
  /** Streams/KV that have the leaving node as a member. */
  streams: GroupCheck[];
  /** Groups that would lose quorum. */
  affected: string[];
  /** Refusal reasons (empty when the plan is safe). */
  reasons: string[];
  ok: boolean;
}

export function quorumOf(size: number): number {
  return Math.floor(size / 2) + 1;
}

export function checkGroup(group: string, peers: PeerFact[], leaving: string): GroupCheck {
  const size = peers.length;
  const quorum = quorumOf(size);
  const remaining = peers.filter((p) => p.name !== leaving && p.online).length;
  const ok = remaining >= quorum;
  return {
    group,
    size,
    quorum,
    remaining_online: remaining,
    ok,
    summary: `${remaining} of ${size} peers would remain, quorum ${quorum}`,
  };
}

export function planLeave(leaving: string, meta: MetaFacts, streams: StreamFacts[]): LeavePlan {
  const me = meta.peers.find((p) => p.name === leaving);
  const reasons: string[] = [];
  const affected: string[] = [];
  if (!meta.leader) reasons.push('the meta group has no leader: no membership change can commit now');
  let metaCheck: GroupCheck | null = null;
  if (!me) {
    reasons.push(`${leaving} is not a current member of the meta group (${meta.peers.map((p) => p.name).join(', ') || 'none'})`);
  } else {
    metaCheck = checkGroup('meta', meta.peers, leaving);
    if (!metaCheck.ok) {
      affected.push('meta');
      reasons.push(`meta group: ${metaCheck.summary}`);
    }
  }
  const streamChecks: GroupCheck[] = [];
  for (const s of streams) {
    if (!s.peers.some((p) => p.name === leaving)) continue;
    const c = checkGroup(`${s.account}/${s.name}`, s.peers, leaving);
    streamChecks.push(c);
    if (!c.ok) {
      affected.push(c.group);
      reasons.push(`stream ${c.group} (R${s.replicas}): ${c.summary}${s.replicas === 1 ? ' — its only copy is on this node' : ''}`);
    }
  }
  return {
    server_name: leaving,
    peer_id: me?.peer_id ?? null,
    is_meta_peer: Boolean(me),
    meta_leader: meta.leader,
    meta: metaCheck,
    streams: streamChecks,
    affected,
    reasons,
    ok: reasons.length === 0,
  };
}

/** Reasons --force cannot override: there is nothing to remove. */
export function isUnforceable(plan: LeavePlan): boolean {
  return !plan.is_meta_peer;
}
