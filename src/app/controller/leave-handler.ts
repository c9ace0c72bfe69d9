/**
 * `leave` on the controller (DESIGN §5), two phases with one request_id:
 *
 *   prepare  plan check (meta peer? membership change in flight? quorum of the meta group and of
 *            every replicated stream/KV without the node?) → `refused` with the numbers (unless
 *            force) or `accepted`: the node may stop its server now.
 *   commit   the node says it stopped → wait until it is offline → record `removing` → send
 *            `$JS.API.SERVER.REMOVE {peer, peer_id}` with the system account → wait until the meta
 *            group no longer lists it → record `done` → reply.
 *
 * Every phase is written to the audit bucket BEFORE the step it names. A replay of a finished
 * request answers `already_done` with the stored result; a commit retried after a crash looks
 * at the real meta group first, so the removal happens once.
 */
import { advanceRecord, isFinal, isLeaveInFlight, receivedRecord, type AuditPhase, type AuditRecord, type ControllerReply, type ControllerRequest, type LeaveParams, type ReplyError, type ReplyErrorCode } from '../../domain/control-plane.js';
import { isUnforceable, planLeave, type LeavePlan } from '../../domain/quorum.js';
import { AuditConflict, type StoredAudit } from '../../infra/audit-store.js';
import { gatherClusterFacts, gatherClusterStreams, type ClusterFacts } from './cluster-facts.js';
import { answerFromAudit, replayReply, replyBase, type ControllerContext } from './context.js';

type LeaveRequest = Extract<ControllerRequest, { action: 'leave' }>;

const now = () => new Date().toISOString();

function advance(stored: StoredAudit, phase: AuditPhase, patch: Partial<AuditRecord>, note?: string): AuditRecord {
  return advanceRecord(stored.record, phase, patch, now(), note);
}

function reply(req: LeaveRequest, ctx: ControllerContext, status: ControllerReply['status'], result: Record<string, unknown>, error?: ReplyError): ControllerReply {
  return {
    ...replyBase(req, ctx),
    ok: status === 'accepted' || status === 'done' || status === 'already_done',
    status,
    result,
    ...(error ? { error } : {}),
  };
}

/** Other leaves that started but did not finish (membership change in flight). */
async function leavesInFlight(ctx: ControllerContext, self: LeaveRequest): Promise<AuditRecord[]> {
  const all = await ctx.audit.list();
  return all.filter((r) => isLeaveInFlight(r) && r.request_id !== self.request_id && r.params['server_name'] !== self.params.server_name);
}

export async function handleLeave(request: ControllerRequest, ctx: ControllerContext): Promise<ControllerReply> {
  const req = request as LeaveRequest;
  const p: LeaveParams = req.params;
  const stored = await ctx.audit.get(req.request_id);
  const answered = stored && answerFromAudit(req, ctx, stored.record);
  if (answered) return answered;
  return p.phase === 'prepare' ? prepare(req, ctx, stored) : commit(req, ctx, stored);
}

async function prepare(req: LeaveRequest, ctx: ControllerContext, existing: StoredAudit | null): Promise<ControllerReply> {
  const p = req.params;
  if (existing && existing.record.phase !== 'received') {
    // accepted / removing / pending: the node retries after a crash or lost reply; it may go on.
    return reply(req, ctx, 'accepted', { phase: existing.record.phase, ...(existing.record.plan ? { plan: existing.record.plan } : {}), forced: Boolean(existing.record.params['force']) });
  }
  let stored = existing;
  if (!stored) stored = await ctx.audit.create(receivedRecord(req, ctx.controllerId, now()));
  const facts = await gatherClusterFacts(ctx.sys, ctx.timings.pingStallMs);
  const [streams, inFlight] = await Promise.all([gatherClusterStreams(ctx, facts), leavesInFlight(ctx, req)]);
  const plan: LeavePlan = planLeave(p.server_name, facts.meta, streams);
  if (inFlight.length > 0) {
    plan.reasons.push(`membership change in flight: leave of ${inFlight.map((r) => `${String(r.params['server_name'])} (${r.request_id}, ${r.phase})`).join(', ')}`);
    plan.ok = false;
  }
  const force = p.force === true;
  if (!plan.ok && (!force || isUnforceable(plan))) {
    const code: ReplyErrorCode = !plan.is_meta_peer ? 'not_a_peer' : !plan.meta_leader ? 'no_meta_leader' : plan.affected.length > 0 ? 'quorum' : 'in_flight';
    const error: ReplyError = { code, message: `leave of ${p.server_name} refused: ${plan.reasons[0] ?? 'unsafe'}`, details: plan.reasons };
    const rec = advance(stored, 'refused', { status: 'refused', plan, error, result: { forced: force } }, plan.reasons.join('; '));
    await ctx.audit.update(rec, stored.revision);
    ctx.publishEvent('leave.refused', { request_id: req.request_id, server_name: p.server_name, reasons: plan.reasons });
    ctx.log.warn({ request_id: req.request_id, server_name: p.server_name, reasons: plan.reasons }, 'leave refused');
    return reply(req, ctx, 'refused', { plan, forced: force }, error);
  }
  const note = plan.ok ? undefined : `forced despite: ${plan.reasons.join('; ')}`;
  const rec = advance(stored, 'accepted', { status: 'accepted', plan, result: { forced: force, overridden: plan.ok ? [] : plan.reasons } }, note);
  await ctx.audit.update(rec, stored.revision);
  ctx.publishEvent('leave.accepted', { request_id: req.request_id, server_name: p.server_name, forced: force, overridden: plan.ok ? [] : plan.reasons });
  ctx.log.info({ request_id: req.request_id, server_name: p.server_name, forced: force }, 'leave accepted: node may stop');
  await moveConnectionsOff(ctx, p.server_name);
  return reply(req, ctx, 'accepted', { plan, forced: force, overridden: plan.ok ? [] : plan.reasons });
}

/**
 * Reconnect the controller's own connections that sit on the leaving server to another server:
 * nats-server's lame duck shuts down right after handing off its RAFT leaderships when no client
 * is connected, but waits the whole grace period (then evicts clients ≤ 1 s apart) otherwise.
 */
async function moveConnectionsOff(ctx: ControllerContext, server: string): Promise<void> {
  for (const nc of [ctx.control, ctx.sys, ctx.app]) {
    // The pool round-robins over every advertised address, several of which may be this server.
    for (let i = 0; i < 12 && !nc.isClosed() && nc.info?.server_name === server; i++) {
      try {
        await nc.reconnect();
        // flush fails while the old connection goes away; retry until the new one answers.
        for (let j = 0; j < 40; j++) {
          if (await nc.flush().then(() => true, () => false)) break;
          await new Promise((r) => setTimeout(r, 50));
        }
        ctx.log.debug({ server, now_on: nc.info?.server_name, attempt: i + 1 }, 'moved a controller connection');
      } catch (e) {
        ctx.log.warn({ err: (e as Error).message, server }, 'could not move a controller connection off the leaving server');
        break;
      }
    }
  }
}

function metaHas(facts: ClusterFacts, name: string): boolean {
  return facts.meta.peers.some((x) => x.name === name);
}

async function waitUntil<T>(timeoutMs: number, probe: () => Promise<T | null>, intervalMs = 100): Promise<T | null> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => null);
    if (v !== null) return v;
    if (Date.now() >= deadline) return null;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

async function commit(req: LeaveRequest, ctx: ControllerContext, stored0: StoredAudit | null): Promise<ControllerReply> {
  const name = req.params.server_name;
  if (!stored0 || stored0.record.phase === 'received') {
    return reply(req, ctx, 'error', {}, { code: 'not_prepared', message: `leave ${req.request_id} was not accepted yet: send phase "prepare" first` });
  }
  let stored: StoredAudit = stored0;
  const force = stored.record.params['force'] === true;
  const plan = stored.record.plan;
  let peerId = plan?.peer_id ?? null;

  // 1. Is it still a meta peer (a retry after a crash may find it removed already)?
  const complete = await waitUntil(ctx.timings.removeTimeoutMs, async () => {
    const f = await gatherClusterFacts(ctx.sys, ctx.timings.pingStallMs);
    return f.meta_complete ? f : null;
  });
  if (complete && !metaHas(complete, name)) {
    return finish(req, ctx, stored, { removed: true, peer: name, peer_id: peerId, meta_peers_after: complete.meta.peers.map((x) => x.name), note: 'the meta group no longer lists this server' });
  }

  // 2. Wait until it is offline (the node stops its server before commit); the facts of step 1 may show it already.
  const isOffline = (f: ClusterFacts) => !f.servers.some((s) => s.name === name);
  const offline =
    complete && isOffline(complete)
      ? complete
      : await waitUntil(ctx.timings.offlineWaitMs, async () => {
          const f = await gatherClusterFacts(ctx.sys, ctx.timings.pingStallMs);
          return isOffline(f) ? f : null;
        });
  if (!offline && !force) {
    return reply(req, ctx, 'error', { phase: stored.record.phase }, { code: 'still_online', message: `${name} is still online; a running server is never peer-removed without --force (stop it first)` });
  }
  if (complete) peerId = complete.meta.peers.find((x) => x.name === name)?.peer_id ?? peerId;

  // 3. Record `removing`, then act.
  if (stored.record.phase !== 'removing') {
    try {
      stored = await ctx.audit.update(advance(stored, 'removing', { status: 'pending' }, offline ? 'server offline' : 'forced: server still online'), stored.revision);
    } catch (e) {
      if (e instanceof AuditConflict) throw e;
      // Nothing is removed unless the step is recorded first (the audit bucket needs a quorum too).
      return pending(req, ctx, stored, `cannot record the removal in the audit bucket (${(e as Error).message}): the cluster has no quorum; nothing was removed`, false);
    }
  }
  ctx.publishEvent('leave.removing', { request_id: req.request_id, server_name: name, peer_id: peerId });
  const body = JSON.stringify({ peer: name, ...(peerId ? { peer_id: peerId } : {}) });
  let apiReply: { success?: boolean; error?: { code?: number; err_code?: number; description?: string } };
  try {
    const m = await ctx.sys.request('$JS.API.SERVER.REMOVE', body, { timeout: ctx.timings.removeTimeoutMs });
    apiReply = m.json();
  } catch (e) {
    return pending(req, ctx, stored, `no reply to $JS.API.SERVER.REMOVE (${(e as Error).message}): the meta group has no leader or no quorum`);
  }
  if (apiReply.error && apiReply.error.err_code !== 10044) {
    const error: ReplyError = { code: 'remove_failed', message: `peer-remove of ${name} failed: ${apiReply.error.description ?? JSON.stringify(apiReply.error)}` };
    const rec = advance(stored, 'failed', { status: 'error', error }, error.message);
    await ctx.audit.update(rec, stored.revision);
    ctx.publishEvent('leave.failed', { request_id: req.request_id, server_name: name, error: error.message });
    return reply(req, ctx, 'error', {}, error);
  }
  // 4. Wait until the removal is committed: the meta group no longer lists the peer.
  const after = await waitUntil(ctx.timings.removeTimeoutMs, async () => {
    const f = await gatherClusterFacts(ctx.sys, ctx.timings.pingStallMs);
    return f.meta_complete && !metaHas(f, name) ? f : null;
  });
  if (!after) return pending(req, ctx, stored, 'peer-remove sent but the meta group still lists the server');
  ctx.testHook?.('removed');
  return finish(req, ctx, stored, {
    removed: true,
    peer: name,
    peer_id: peerId,
    meta_peers_after: after.meta.peers.map((x) => x.name),
    ...(apiReply.error?.err_code === 10044 ? { note: 'server was not a member any more' } : {}),
  });
}

async function finish(req: LeaveRequest, ctx: ControllerContext, stored: StoredAudit, result: Record<string, unknown>): Promise<ControllerReply> {
  const forced = stored.record.params['force'] === true;
  const full = { ...(stored.record.result ?? {}), ...result, forced };
  try {
    await ctx.audit.update(advance(stored, 'done', { status: 'done', result: full }), stored.revision);
  } catch (e) {
    if (e instanceof AuditConflict) {
      const again = await ctx.audit.get(req.request_id);
      if (again && isFinal(again.record.phase)) return replayReply(req, ctx, again.record);
    }
    throw e;
  }
  ctx.publishEvent('leave.done', { request_id: req.request_id, server_name: req.params.server_name, ...result });
  ctx.log.info({ request_id: req.request_id, server_name: req.params.server_name }, 'peer removed');
  return reply(req, ctx, 'done', full);
}

async function pending(req: LeaveRequest, ctx: ControllerContext, stored: StoredAudit, reason: string, record = true): Promise<ControllerReply> {
  const error: ReplyError = { code: 'remove_failed', message: reason };
  if (record) {
    try {
      await ctx.audit.update(advance(stored, 'pending', { status: 'pending', error }, reason), stored.revision);
    } catch (e) {
      ctx.log.warn({ request_id: req.request_id, err: (e as Error).message }, 'pending state not recorded (audit bucket unavailable)');
    }
  }
  ctx.publishEvent('leave.pending', { request_id: req.request_id, server_name: req.params.server_name, reason });
  ctx.log.warn({ request_id: req.request_id, server_name: req.params.server_name, reason }, 'peer removal pending');
  return reply(req, ctx, 'pending', { removed: false, reason, forced: stored.record.params['force'] === true }, error);
}
