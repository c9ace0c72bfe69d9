/**
 * Controller action `backup` {streams?: string[], all?: boolean}: the controller snapshots the
 * application account's streams with ITS application-admin connection into its own folder
 * `<controller dir>/backups/<UTC time>-<request_id>/` (nats CLI layout + manifest written last).
 * The service's generic audit records received → done/failed with the result; a retry with the
 * same request_id answers already_done. Nodes only ever hold the node credential.
 */
import { join } from 'node:path';
import { runBackup } from '../backup.js';
import { streamNameProblem } from '../../domain/backup.js';
import { errorReply, type ControllerReply, type ControllerRequest } from '../../domain/control-plane.js';
import { isNbsError } from '../../domain/errors.js';
import { packageVersion } from '../../infra/package-version.js';
import { replyBase, type ControllerContext } from './context.js';

export const BACKUPS_FOLDER = 'backups';

/** `20261204T153000Z-<request_id>`: sortable, unique per request. */
function backupFolderName(at: Date, requestId: string): string {
  return `${at.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z')}-${requestId}`;
}

export async function handleBackup(req: ControllerRequest, ctx: ControllerContext): Promise<ControllerReply> {
  const base = replyBase(req, ctx);
  if (req.action !== 'backup') return errorReply(base, 'invalid_request', `backup handler got action ${req.action}`);
  if (!ctx.backupDir) return errorReply(base, 'not_available', 'this controller has no backup folder');
  const streams = req.params.streams ?? [];
  const all = req.params.all === true;
  if (all === streams.length > 0) {
    return errorReply(base, 'invalid_request', all ? 'params: all excludes streams' : 'params: name streams or set all');
  }
  const bad = streams.map(streamNameProblem).filter((p): p is string => p !== null);
  if (bad.length > 0) return errorReply(base, 'invalid_request', bad[0]!, bad);

  const output = join(ctx.backupDir, backupFolderName(new Date(), req.request_id));
  ctx.publishEvent('backup.started', { request_id: req.request_id, streams, all, output });
  try {
    const report = await runBackup(ctx.app, { streams, all, output }, { toolVersion: packageVersion() });
    const result = {
      output: report.output,
      manifest: report.manifest,
      streams: report.streams.map((s) => ({ name: s.name, kind: s.kind, messages: s.messages, last_seq: s.last_seq, bytes: s.files['stream.tar.s2'].size, sha256: s.files['stream.tar.s2'].sha256 })),
      skipped: report.skipped,
      total_bytes: report.total_bytes,
      duration_ms: report.duration_ms,
    };
    ctx.publishEvent('backup.done', { request_id: req.request_id, output: report.output, streams: result.streams.length, total_bytes: report.total_bytes });
    return { ...base, ok: true, status: 'done', result };
  } catch (e) {
    const message = isNbsError(e) ? `${e.id}: ${e.message}` : (e as Error).message;
    const details = isNbsError(e) ? e.details : [];
    ctx.publishEvent('backup.failed', { request_id: req.request_id, error: message });
    ctx.log.warn({ request_id: req.request_id, err: message }, 'backup failed');
    const code = isNbsError(e) && e.exitCode === 2 ? 'invalid_request' : 'internal';
    return errorReply(base, code, message, details);
  }
}
