/**
 * `nats-bootstrap restore --input DIR --confirm [--stream NAME] [--replace] [--replicas N]`
 * — checks the whole backup first (manifest, names, checksums), refuses existing streams unless
 * --replace, restores, then compares message count and last sequence with the backup.
 * Exit 1 when any stream failed its check; 2 for a bad backup; 3 without --confirm or on an
 * existing stream.
 */
import type { RestoreReport, ValidatedBackup } from '../../app/restore.js';
import { formatBytes } from '../../domain/backup.js';
import { NbsError } from '../../domain/errors.js';
import type { CommandInput, CommandResult } from '../context.js';
import { connectionFlags } from '../connection-flags.js';
import { optBool, optInt, optString } from '../option-parsing.js';

export function planLines(b: ValidatedBackup, replicas?: number): string[] {
  return b.streams.map(
    (s) =>
      `${s.entry.name}: ${s.entry.messages} messages, last sequence ${s.entry.last_seq}, ${formatBytes(s.entry.files['stream.tar.s2'].size)}, R${replicas ?? s.meta.config.num_replicas ?? 1}`,
  );
}

export async function run(input: CommandInput): Promise<CommandResult> {
  const { options: o, ctx } = input;
  const dir = optString(o, 'input', '--input', 'ERR-BKP-0001');
  if (!dir) throw new NbsError('ERR-BKP-0001', '--input DIR is required', { hint: 'name the folder a backup wrote (it holds manifest.json)' });
  const stream = optString(o, 'stream', '--stream', 'ERR-BKP-0001');
  const replace = optBool(o, 'replace');
  const replicas = optInt(o, 'replicas', '--replicas', 'ERR-BKP-0001');
  if (replicas !== undefined && (replicas < 1 || replicas > 5)) throw new NbsError('ERR-BKP-0001', `--replicas must be between 1 and 5, got ${replicas}`);
  const flags = connectionFlags(o);
  const { inspectBackup, runRestore } = await import('../../app/restore.js');
  const backup = await inspectBackup(dir, { ...(stream ? { stream } : {}), cwd: ctx.cwd });
  if (!optBool(o, 'confirm')) {
    throw new NbsError('ERR-CORE-0005', `restore of ${backup.streams.length} stream${backup.streams.length === 1 ? '' : 's'} from ${backup.dir} needs --confirm; nothing was changed`, {
      details: ['the backup passed its checks; with --confirm it restores:', ...planLines(backup, replicas)],
    });
  }
  const { runTransfer } = await import('../transfer-progress.js');
  const data = await runTransfer(ctx, 'restore', flags, (nc, progress) =>
    runRestore(nc, backup, { replace, ...(replicas !== undefined ? { replicas } : {}), progress, signal: ctx.signal }),
  );
  return { data, human: (d) => formatRestore(d as RestoreReport), exitCode: data.ok ? 0 : 1 };
}

export function formatRestore(r: RestoreReport): string {
  const lines: string[] = [];
  const where = r.target.cluster ? `cluster ${r.target.cluster}` : `server ${r.target.server_name ?? '?'}`;
  lines.push(`restore from ${r.input} into ${where} (nats-server ${r.target.server_version ?? '?'})`);
  for (const s of r.streams) {
    const got = s.actual ? `${s.actual.messages} msgs, last seq ${s.actual.last_seq}` : 'not restored';
    lines.push(`  ${s.status === 'ok' ? 'ok    ' : 'FAILED'} ${s.name.padEnd(20)} ${got} (backup: ${s.expected.messages} msgs, last seq ${s.expected.last_seq})  R${s.replicas}`);
    if (s.replaced) lines.push(`         replaced the existing stream: ${s.replaced.messages} messages (${formatBytes(s.replaced.bytes)}) were lost`);
    for (const a of s.actions) lines.push(`         ${a}`);
    for (const p of s.problems) lines.push(`         problem: ${p}`);
  }
  const failed = r.streams.filter((s) => s.status !== 'ok').length;
  lines.push(failed === 0 ? `all ${r.streams.length} streams restored and checked in ${(r.duration_ms / 1000).toFixed(1)} s` : `${failed} of ${r.streams.length} streams FAILED`);
  return lines.join('\n');
}
