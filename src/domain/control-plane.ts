/**
 * The NATS control plane (DESIGN §1 "Shape", §5): subjects, requests, replies, audit records.
 * Pure data and rules; `schemas/controller-request.schema.json`, `controller-reply.schema.json`
 * and `audit-record.schema.json` describe the same shapes for other clients.
 *
 *   nbs.<cluster>.ctl.<action>   requests (node user may publish here, nothing else)
 *   nbs.<cluster>.evt.<kind>     events published by the controller (watch: nats sub 'nbs.>')
 */
import type { LeavePlan } from './quorum.js';

export const CONTROLLER_ACTIONS = ['ping', 'status', 'leave', 'backup'] as const;
export type ControllerAction = (typeof CONTROLLER_ACTIONS)[number];

/** Requests larger than this are refused with `too_large` before parsing. */
export const MAX_REQUEST_BYTES = 64 * 1024;
/** Queue group of the controllers: two controllers share the requests. */
export const CONTROLLER_QUEUE = 'nbs-controller';
export const AUDIT_BUCKET = 'nbs_audit';

export function requestSubject(cluster: string, action: ControllerAction): string {
  return `nbs.${cluster}.ctl.${action}`;
}
export function requestWildcard(cluster: string): string {
  return `nbs.${cluster}.ctl.>`;
}
export function eventSubject(cluster: string, kind: string): string {
  return `nbs.${cluster}.evt.${kind}`;
}
/** The action named by a request subject, or null when it is not one of ours. */
export function actionOfSubject(cluster: string, subject: string): string | null {
  const prefix = `nbs.${cluster}.ctl.`;
  return subject.startsWith(prefix) ? subject.slice(prefix.length) : null;
}

export type LeavePhase = 'prepare' | 'commit';

export interface LeaveParams {
  /** Server name of the leaving node (its JetStream identity). */
  server_name: string;
  /** prepare: plan check, ok to stop. commit: the node is stopped, remove its peer. */
  phase: LeavePhase;
  force?: boolean;
}
export interface BackupParams {
  streams?: string[];
  all?: boolean;
}
export type EmptyParams = Record<string, never>;

interface RequestBase {
  schema_version: 1;
  /** Caller-chosen id (letters, digits, `_`, `-`); the audit key; a retry reuses it. */
  request_id: string;
  /** Who asks (server name or operator), for the audit trail. */
  sender?: string;
  sent_at?: string;
}
export type ControllerRequest =
  | (RequestBase & { action: 'ping'; params?: EmptyParams })
  | (RequestBase & { action: 'status'; params?: EmptyParams })
  | (RequestBase & { action: 'leave'; params: LeaveParams })
  | (RequestBase & { action: 'backup'; params: BackupParams });

/** Error codes a reply can carry (docs/control-plane.md lists them). */
export const REPLY_ERROR_CODES = [
  'too_large',
  'bad_json',
  'invalid_request',
  'unknown_action',
  'not_available',
  'conflict',
  'not_a_peer',
  'quorum',
  'in_flight',
  'no_meta_leader',
  'still_online',
  'not_prepared',
  'remove_failed',
  'internal',
] as const;
export type ReplyErrorCode = (typeof REPLY_ERROR_CODES)[number];

/**
 * ok: answered (ping, status). accepted: leave prepare passed, stop the node. refused: a safety
 * check said no (error.code says which). done: the action completed. already_done: a replay,
 * `result` is the stored one. pending: started but not finished (e.g. no committed peer-remove
 * reply yet) — retry with the same request_id. error: invalid request or failure.
 */
export type ReplyStatus = 'ok' | 'accepted' | 'refused' | 'done' | 'already_done' | 'pending' | 'error';

export interface ReplyError {
  code: ReplyErrorCode;
  message: string;
  details?: string[];
}

export interface ControllerReply {
  schema_version: 1;
  request_id: string | null;
  action: string | null;
  ok: boolean;
  status: ReplyStatus;
  controller: { id: string; cluster: string };
  /** Action-specific result (leave: plan / removal facts). */
  result?: Record<string, unknown>;
  error?: ReplyError;
}

/** Lifecycle of an acting request in the audit bucket; written BEFORE the step it names. */
export type AuditPhase = 'received' | 'refused' | 'accepted' | 'removing' | 'done' | 'pending' | 'failed';

export interface AuditRecord {
  schema_version: 1;
  request_id: string;
  action: ControllerAction;
  sender: string | null;
  params: Record<string, unknown>;
  phase: AuditPhase;
  /** Reply status of the last answer given for this request. */
  status: ReplyStatus;
  received_at: string;
  updated_at: string;
  controller_id: string;
  plan?: LeavePlan;
  result?: Record<string, unknown>;
  error?: ReplyError;
  history: Array<{ phase: AuditPhase; at: string; note?: string }>;
}

/** The first audit record of an acting request: phase `received`, written before anything is done. */
export function receivedRecord(req: ControllerRequest, controllerId: string, at: string): AuditRecord {
  return {
    schema_version: 1,
    request_id: req.request_id,
    action: req.action,
    sender: req.sender ?? null,
    params: { ...(req.params ?? {}) },
    phase: 'received',
    status: 'pending',
    received_at: at,
    updated_at: at,
    controller_id: controllerId,
    history: [{ phase: 'received', at }],
  };
}

/** The next phase of a request's audit record (with `patch`), appended to its history. */
export function advanceRecord(record: AuditRecord, phase: AuditPhase, patch: Partial<AuditRecord>, at: string, note?: string): AuditRecord {
  return {
    ...record,
    ...patch,
    phase,
    updated_at: at,
    history: [...record.history, { phase, at, ...(note ? { note } : {}) }],
  };
}

/** Phases after which a replay answers `already_done` with the stored result. */
export function isFinal(phase: AuditPhase): boolean {
  return phase === 'done' || phase === 'refused' || phase === 'failed';
}

/** A leave that started but did not finish: a membership change in flight. */
export function isLeaveInFlight(record: AuditRecord): boolean {
  return record.action === 'leave' && (record.phase === 'accepted' || record.phase === 'removing' || record.phase === 'pending');
}

/** request_id rules (also in the schema): usable as a KV key and a file-safe token. */
export const REQUEST_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;

/** Same request_id, different intent → conflict instead of acting on the wrong thing. */
export function sameIntent(record: AuditRecord, req: ControllerRequest): boolean {
  if (record.action !== req.action) return false;
  if (req.action === 'leave') return record.params['server_name'] === req.params.server_name;
  return true;
}

export function errorReply(
  base: { request_id: string | null; action: string | null; controller: ControllerReply['controller'] },
  code: ReplyErrorCode,
  message: string,
  details?: string[],
): ControllerReply {
  return {
    schema_version: 1,
    request_id: base.request_id,
    action: base.action,
    ok: false,
    status: 'error',
    controller: base.controller,
    error: { code, message, ...(details && details.length > 0 ? { details } : {}) },
  };
}
