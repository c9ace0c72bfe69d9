/** Read-only controller actions: `ping` (liveness) and `status` (cluster facts via the system account). */
import { isLeaveInFlight, type ControllerReply, type ControllerRequest } from '../../domain/control-plane.js';
import { gatherClusterFacts, gatherClusterStreams } from './cluster-facts.js';
import { replyBase, type ControllerContext } from './context.js';

export async function handlePing(req: ControllerRequest, ctx: ControllerContext): Promise<ControllerReply> {
  return {
    ...replyBase(req, ctx),
    ok: true,
    status: 'ok',
    result: { time: new Date().toISOString(), uptime_s: Math.round((Date.now() - ctx.startedAt.getTime()) / 1000) },
  };
}

export async function handleStatus(req: ControllerRequest, ctx: ControllerContext): Promise<ControllerReply> {
  const facts = await gatherClusterFacts(ctx.sys, ctx.timings.pingStallMs);
  const [streams, records] = await Promise.all([gatherClusterStreams(ctx, facts), ctx.audit.list()]);
  const pendingLeaves = records
    .filter(isLeaveInFlight)
    .map((r) => ({ request_id: r.request_id, server_name: r.params['server_name'], phase: r.phase, updated_at: r.updated_at }));
  return {
    ...replyBase(req, ctx),
    ok: true,
    status: 'ok',
    result: {
      servers: facts.servers,
      meta: { leader: facts.meta.leader, cluster_size: facts.meta_cluster_size, complete: facts.meta_complete, peers: facts.meta.peers },
      streams,
      pending_leaves: pendingLeaves,
      audit: { bucket: ctx.audit.bucket, replicas: ctx.audit.replicas },
    },
  };
}
