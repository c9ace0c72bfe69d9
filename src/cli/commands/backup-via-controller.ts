/**
 * `backup --via-controller [--stream NAME | --kv BUCKET | --all] [--datafolder DIR] [--server URL]`:
 * ask the controller to run the backup with its own application-admin credentials into its own
 * backup folder. The node only uses its bundle's node credential (publish a control request,
 * read the reply); it never sees the data credentials. The controller audits the request.
 */
import { randomBytes } from 'node:crypto';
import { backupSpecFrom, formatBytes } from '../../domain/backup.js';
import type { ControllerReply, ControllerRequest } from '../../domain/control-plane.js';
import { NbsError } from '../../domain/errors.js';
import type { CommandInput, CommandResult } from '../context.js';
import { optBool, optList, optString, optStrings } from '../option-parsing.js';

export interface ViaControllerResult {
  schema_version: 1;
  ok: true;
  via: 'controller';
  request_id: string;
  status: string;
  controller: { id: string; cluster: string };
  result: Record<string, unknown>;
}

const TIMEOUT_MS = 30 * 60_000;

export async function runViaController(input: CommandInput): Promise<CommandResult> {
  const { options: o, ctx } = input;
  if (optString(o, 'output', '--output', 'ERR-BKP-0001') !== undefined) {
    throw new NbsError('ERR-BKP-0001', '--output cannot be combined with --via-controller', {
      hint: 'the controller writes into its own folder (<controller dir>/backups/); omit --output',
    });
  }
  // Same selection rules as a direct backup (output is the controller's).
  const spec = backupSpecFrom({
    streams: optStrings(o, 'stream', '--stream', 'ERR-BKP-0001'),
    kv: optStrings(o, 'kv', '--kv', 'ERR-BKP-0001'),
    all: optBool(o, 'all'),
    output: '(controller)',
  });
  const { DataFolder } = await import('../../infra/data-folder.js');
  const df = new DataFolder(optString(o, 'datafolder', '--datafolder'), ctx.cwd);
  const state = await df.readState();
  if (!state) throw new NbsError('ERR-CTL-0002', `no node state in ${df.root} (state.json)`, { hint: 'pass --datafolder of a node started with up --bundle' });
  if (!state.bundle) {
    throw new NbsError('ERR-CTL-0002', `${state.server_name} is not a secured node (started without --bundle): there is no controller to ask`, {
      hint: 'run backup directly with --creds/--nkey/--context instead',
    });
  }
  const { readBundle } = await import('../../infra/bundle-file.js');
  const { connectAsNode, requestController } = await import('../../infra/controller-client.js');
  const { nodeClientUrls } = await import('../../domain/node-state.js');
  const bundle = await readBundle(state.bundle);
  const servers = optList(o, 'server', '--server') ?? nodeClientUrls(state);
  const requestId = `backup-${state.server_name.replace(/[^A-Za-z0-9_-]/g, '-').slice(0, 60)}-${Date.now().toString(36)}-${randomBytes(3).toString('hex')}`;
  const req: ControllerRequest = {
    schema_version: 1,
    request_id: requestId,
    action: 'backup',
    sender: state.server_name,
    sent_at: new Date().toISOString(),
    params: spec.all ? { all: true } : { streams: spec.streams },
  };
  const nc = await connectAsNode(bundle, [...new Set(servers)], `nbs-backup-${state.server_name}`);
  let reply: ControllerReply;
  try {
    if (!ctx.global.json) ctx.err(`asking the controller of ${bundle.cluster} to back up ${spec.all ? 'every stream' : spec.streams.join(', ')} (request ${requestId})`);
    reply = await requestController(nc, bundle.cluster, req, TIMEOUT_MS);
  } finally {
    await nc.close().catch(() => undefined);
  }
  if (!reply.ok) {
    const msg = reply.error?.message ?? `the controller answered ${reply.status}`;
    const id = reply.error?.code === 'invalid_request' ? 'ERR-BKP-0001' : 'ERR-CTL-0005';
    throw new NbsError(id, `controller backup failed: ${msg}`, { details: reply.error?.details ?? [], data: { request_id: requestId, reply } });
  }
  const data: ViaControllerResult = {
    schema_version: 1,
    ok: true,
    via: 'controller',
    request_id: requestId,
    status: reply.status,
    controller: reply.controller,
    result: reply.result ?? {},
  };
  return { data, human: (d) => formatViaController(d as ViaControllerResult) };
}

function formatViaController(d: ViaControllerResult): string {
  const r = d.result as { output?: string; streams?: Array<{ name: string; messages: number; last_seq: number; bytes: number }>; skipped?: Array<{ name: string; reason: string }>; total_bytes?: number };
  const lines = [`controller ${d.controller.id} (cluster ${d.controller.cluster}) backed up ${r.streams?.length ?? 0} streams into ${r.output ?? '?'} (on the controller host)`];
  for (const s of r.streams ?? []) lines.push(`  ok  ${s.name.padEnd(20)} ${String(s.messages).padStart(9)} msgs  last seq ${s.last_seq}  ${formatBytes(s.bytes)}`);
  for (const s of r.skipped ?? []) lines.push(`  --  ${s.name.padEnd(20)} skipped: ${s.reason}`);
  lines.push(`request ${d.request_id}: ${d.status} (recorded in the controller's audit bucket)`);
  return lines.join('\n');
}
