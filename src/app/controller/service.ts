/**
 * `controller start --dir DIR`: the long-running control-plane service (DESIGN §1 "Shape", §5).
 *
 * Connects three times — controller user (CONTROL: requests, replies, events, audit bucket),
 * system user (SYS: server facts, peer-remove), application admin (APP: streams and KV) — and
 * serves `nbs.<cluster>.ctl.>` in the queue group `nbs-controller`, so several controllers can run.
 * Every request is size-checked, parsed and validated against
 * schemas/controller-request.schema.json; anything wrong gets an error reply with a code and the
 * service keeps serving. Stops gracefully when `signal` fires: drains the subscription, finishes
 * the requests in progress, closes the connections.
 */
import { hostname } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import {
  CONTROLLER_ACTIONS,
  CONTROLLER_QUEUE,
  MAX_REQUEST_BYTES,
  actionOfSubject,
  advanceRecord,
  errorReply,
  eventSubject,
  receivedRecord,
  requestWildcard,
  type ControllerReply,
  type ControllerRequest,
} from '../../domain/control-plane.js';
import { clientUrlsOfSeeds } from '../../domain/identity.js';
import { AuditStore } from '../../infra/audit-store.js';
import { readControllerDir } from '../../infra/bundle-file.js';
import { validate } from '../../infra/json-schema.js';
import { openConnection, type NatsConnection } from '../../infra/nats-connection.js';
import { gatherClusterFacts } from './cluster-facts.js';
import { answerFromAudit, type ControllerContext, type ControllerHandler, type ControllerLogger, type ControllerTimings, type TestHookPoint } from './context.js';
import { AUDITED_ACTIONS, HANDLERS, SELF_AUDITED_ACTIONS } from './handlers.js';
import { BACKUPS_FOLDER } from './backup-handler.js';

export interface ControllerOptions {
  dir: string;
  cwd: string;
  /** Server URLs; default: the bundle seeds' hosts on the client port 4222. */
  servers?: string[];
  signal: AbortSignal;
  log: ControllerLogger;
  /** Also record ping/status in the audit bucket. */
  auditReads?: boolean;
  /**
   * Replicas of the audit bucket when it has to be created. Default: min(3, cluster size), asked
   * from the cluster at start (a ~150 ms round of server pings); a caller that knows the size
   * (demo) passes it.
   */
  auditReplicas?: number;
  timings?: Partial<ControllerTimings>;
  testHook?: (point: TestHookPoint) => void;
}

export interface RunningController {
  id: string;
  cluster: string;
  servers: string[];
  auditBucket: string;
  auditReplicas: number;
  /** Resolves once the service stopped (after the signal fired). */
  done: Promise<void>;
  /** Close every connection at once, without waiting for requests in progress (a stop that took too long). */
  closeNow: () => Promise<void>;
}

const DEFAULT_TIMINGS: ControllerTimings = { offlineWaitMs: 30_000, removeTimeoutMs: 10_000, pingStallMs: 150 };

export async function startController(opts: ControllerOptions): Promise<RunningController> {
  const identity = await readControllerDir(opts.dir, opts.cwd);
  const cluster = identity.bundle.cluster;
  const servers = opts.servers && opts.servers.length > 0 ? opts.servers : clientUrlsOfSeeds(identity.bundle.seeds);
  const id = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const conns: NatsConnection[] = [];
  const connect = async (role: 'controller' | 'system' | 'app-admin') => {
    const nc = await openConnection({ servers, name: `nbs-controller-${role}-${id}`, nkeySeed: identity.seeds[role], timeoutMs: 5000 });
    conns.push(nc);
    return nc;
  };
  let ctx: ControllerContext;
  try {
    // The three connections side by side; wait for all, so none is left open after a failure.
    const settled = await Promise.allSettled([connect('controller'), connect('system'), connect('app-admin')]);
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    const [control, sys, app] = settled.map((r) => (r as PromiseFulfilledResult<NatsConnection>).value) as [NatsConnection, NatsConnection, NatsConnection];
    const timings = { ...DEFAULT_TIMINGS, ...opts.timings };
    let replicas = opts.auditReplicas;
    if (replicas === undefined) {
      const facts = await gatherClusterFacts(sys, timings.pingStallMs);
      replicas = Math.min(3, Math.max(facts.meta_cluster_size, facts.servers.length, 1));
    }
    const audit = await AuditStore.open(control, { replicas });
    ctx = {
      cluster,
      controllerId: id,
      startedAt: new Date(),
      control,
      sys,
      app,
      audit,
      backupDir: join(identity.dir, BACKUPS_FOLDER),
      log: opts.log,
      timings,
      publishEvent: (kind, data) => {
        try {
          control.publish(eventSubject(cluster, kind), JSON.stringify({ schema_version: 1, kind, at: new Date().toISOString(), controller_id: id, ...data }));
        } catch (e) {
          opts.log.warn({ err: (e as Error).message, kind }, 'event not published');
        }
      },
      ...(opts.testHook ? { testHook: opts.testHook } : {}),
    };
  } catch (e) {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
    throw e;
  }

  const inFlight = new Set<Promise<void>>();
  const sub = ctx.control.subscribe(requestWildcard(cluster), { queue: CONTROLLER_QUEUE });
  const loop = (async () => {
    for await (const msg of sub) {
      const p = serve(ctx, msg, opts.auditReads === true).catch((e: unknown) => ctx.log.error({ err: (e as Error).message }, 'request handling crashed'));
      inFlight.add(p);
      void p.finally(() => inFlight.delete(p));
    }
  })();
  ctx.publishEvent('controller.started', { servers });
  ctx.log.info({ controller_id: id, cluster, servers, audit_bucket: ctx.audit.bucket, audit_replicas: ctx.audit.replicas, subject: requestWildcard(cluster), queue: CONTROLLER_QUEUE }, 'controller started');

  const done = new Promise<void>((resolveDone) => {
    const stop = async () => {
      ctx.log.info({ controller_id: id }, 'controller stopping');
      await sub.drain().catch(() => undefined);
      await loop.catch(() => undefined);
      await Promise.all([...inFlight]);
      ctx.publishEvent('controller.stopped', {});
      await Promise.all(conns.map((c) => c.drain().catch(() => c.close().catch(() => undefined))));
      ctx.log.info({ controller_id: id }, 'controller stopped');
      resolveDone();
    };
    if (opts.signal.aborted) void stop();
    else opts.signal.addEventListener('abort', () => void stop(), { once: true });
  });
  const closeNow = async () => {
    await Promise.all(conns.map((c) => c.close().catch(() => undefined)));
  };
  return { id, cluster, servers, auditBucket: ctx.audit.bucket, auditReplicas: ctx.audit.replicas, done, closeNow };
}

interface IncomingMsg {
  subject: string;
  data: Uint8Array;
  reply?: string;
  respond(data?: string | Uint8Array): boolean;
}

const decoder = new TextDecoder();

/** Handle one request; always answers (when there is a reply subject). */
export async function serve(ctx: ControllerContext, msg: IncomingMsg, auditReads: boolean): Promise<void> {
  const base = { request_id: null as string | null, action: actionOfSubject(ctx.cluster, msg.subject), controller: { id: ctx.controllerId, cluster: ctx.cluster } };
  const answer = (r: ControllerReply) => {
    if (msg.reply) msg.respond(JSON.stringify(r));
    if (!r.ok) ctx.log.debug({ request_id: r.request_id, action: r.action, status: r.status, code: r.error?.code }, 'request answered with an error');
  };
  if (!msg.reply) {
    ctx.log.warn({ subject: msg.subject }, 'request without reply subject ignored');
    return;
  }
  if (msg.data.length > MAX_REQUEST_BYTES) {
    return answer(errorReply(base, 'too_large', `request of ${msg.data.length} bytes exceeds the limit of ${MAX_REQUEST_BYTES} bytes`));
  }
  let data: unknown;
  try {
    data = JSON.parse(decoder.decode(msg.data));
  } catch (e) {
    return answer(errorReply(base, 'bad_json', `request is not valid JSON: ${(e as Error).message}`));
  }
  if (data && typeof data === 'object' && !Array.isArray(data)) {
    const rid = (data as Record<string, unknown>)['request_id'];
    if (typeof rid === 'string' && rid.length <= 128) base.request_id = rid;
  }
  const subjectAction = base.action;
  if (subjectAction === null || !(CONTROLLER_ACTIONS as readonly string[]).includes(subjectAction)) {
    return answer(errorReply(base, 'unknown_action', `unknown action "${subjectAction ?? msg.subject}"`));
  }
  const problems = validate('controller-request.schema.json', data);
  if (problems.length > 0) {
    return answer(errorReply(base, 'invalid_request', `invalid request: ${problems[0]}`, problems));
  }
  const req = data as ControllerRequest;
  if (req.action !== subjectAction) {
    return answer(errorReply(base, 'invalid_request', `action "${req.action}" does not match the subject (${subjectAction})`));
  }
  const handler = HANDLERS[req.action];
  if (!handler) {
    return answer(errorReply(base, 'not_available', `action "${req.action}" is not available in this controller`));
  }
  ctx.log.info({ request_id: req.request_id, action: req.action, sender: req.sender }, 'request');
  try {
    const audited = !SELF_AUDITED_ACTIONS.has(req.action) && (AUDITED_ACTIONS.has(req.action) || auditReads);
    const reply = audited ? await withAudit(ctx, req, handler) : await handler(req, ctx);
    answer(reply);
    ctx.log.info({ request_id: req.request_id, action: req.action, status: reply.status, code: reply.error?.code }, 'reply');
  } catch (e) {
    ctx.log.error({ request_id: req.request_id, action: req.action, err: (e as Error).message, stack: (e as Error).stack }, 'handler failed');
    answer(errorReply(base, 'internal', `controller failed: ${(e as Error).message}`));
  }
}

/** Generic audit around a handler: received → done/failed; a replay answers already_done. */
async function withAudit(ctx: ControllerContext, req: ControllerRequest, handler: ControllerHandler): Promise<ControllerReply> {
  const existing = await ctx.audit.get(req.request_id);
  const answered = existing && answerFromAudit(req, ctx, existing.record);
  if (answered) return answered;
  const stored = existing ?? (await ctx.audit.create(receivedRecord(req, ctx.controllerId, new Date().toISOString())));
  const reply = await handler(req, ctx);
  const phase = reply.ok ? 'done' : 'failed';
  const patch = { status: reply.status, ...(reply.result ? { result: reply.result } : {}), ...(reply.error ? { error: reply.error } : {}) };
  await ctx.audit.update(advanceRecord(stored.record, phase, patch, new Date().toISOString()), stored.revision);
  return reply;
}
