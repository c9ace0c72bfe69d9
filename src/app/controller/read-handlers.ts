/** Read-only controller actions: `ping` (liveness) and `status` (cluster facts via the system account). */
import type { ControllerReply, ControllerRequest } from '../../domain/control-plane.js';
import { gatherClusterFacts, gatherStreams } from './cluster-facts.js';
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
  const up = new Set(facts.servers.map((s) => s.name));
  const [app, control] = await Promise.all([gatherStreams(ctx.app, 'APP', up), gatherStreams(ctx.control, 'CONTROL', up)]);
  const records = await ctx.audit.list();
  const pendingLeaves = records
    .filter((r) => r.action === 'leave' && (r.phase === 'accepted' || r.phase === 'removing' || r.phase === 'pending'))
    .map((r) => ({ request_id: r.request_id, server_name: r.params['server_name'], phase: r.phase, updated_at: r.updated_at }));
  return {
    ...replyBase(req, ctx),
    ok: true,
    status: 'ok',
    result: {
      servers: facts.servers,
      meta: { leader: facts.meta.leader, cluster_size: facts.meta_cluster_size, complete: facts.meta_complete, peers: facts.meta.peers },
      streams: [...app, ...control],
      pending_leaves: pendingLeaves,
      audit: { bucket: ctx.audit.bucket, replicas: ctx.audit.replicas },
    },
  };
}
