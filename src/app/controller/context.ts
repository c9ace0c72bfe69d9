/** What every controller request handler gets: connections, the audit store, events, hooks. */
import { errorReply, isFinal, sameIntent, type AuditRecord, type ControllerReply, type ControllerRequest } from '../../domain/control-plane.js';
import type { AuditStore } from '../../infra/audit-store.js';
import type { NatsConnection } from '../../infra/nats-connection.js';

export interface ControllerLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Test-only crash points (env NBS_TEST_CRASH_AFTER): the service calls `testHook(point)`. */
export type TestHookPoint = 'removed';

export interface ControllerTimings {
  /** How long a leave commit waits for the node to go offline. */
  offlineWaitMs: number;
  /** How long to wait for the peer-remove reply and the meta group without the peer. */
  removeTimeoutMs: number;
  /** Scatter-gather stall for $SYS.REQ.SERVER.PING.JSZ. */
  pingStallMs: number;
}

export interface ControllerContext {
  cluster: string;
  controllerId: string;
  startedAt: Date;
  /** CONTROL account (requests, replies, events, audit bucket). */
  control: NatsConnection;
  /** SYS account (server facts, peer-remove). */
  sys: NatsConnection;
  /** APP account admin (application streams and KV). */
  app: NatsConnection;
  audit: AuditStore;
  /** Where the `backup` action writes (`<controller dir>/backups`). */
  backupDir?: string;
  log: ControllerLogger;
  timings: ControllerTimings;
  publishEvent(kind: string, data: Record<string, unknown>): void;
  testHook?: (point: TestHookPoint) => void;
}

export type ControllerHandler = (req: ControllerRequest, ctx: ControllerContext) => Promise<ControllerReply>;

export function replyBase(req: ControllerRequest, ctx: ControllerContext) {
  return { schema_version: 1 as const, request_id: req.request_id, action: req.action, controller: { id: ctx.controllerId, cluster: ctx.cluster } };
}

/** The answer to a replayed request whose audit record is final: `already_done` with the stored result. */
export function replayReply(req: ControllerRequest, ctx: ControllerContext, rec: AuditRecord): ControllerReply {
  return {
    ...replyBase(req, ctx),
    ok: rec.phase === 'done',
    status: 'already_done',
    result: { phase: rec.phase, original_status: rec.status, ...(rec.result ?? {}), ...(rec.plan ? { plan: rec.plan } : {}) },
    ...(rec.error ? { error: rec.error } : {}),
  };
}

/**
 * A request whose request_id is already in the audit bucket: `conflict` when it was used for
 * another intent, the replay when its record is final, null when it is still in progress.
 */
export function answerFromAudit(req: ControllerRequest, ctx: ControllerContext, rec: AuditRecord): ControllerReply | null {
  if (!sameIntent(rec, req)) {
    const server = rec.params['server_name'];
    return errorReply(replyBase(req, ctx), 'conflict', `request_id ${req.request_id} was already used for ${rec.action}${typeof server === 'string' ? ` ${server}` : ''}`);
  }
  return isFinal(rec.phase) ? replayReply(req, ctx, rec) : null;
}
