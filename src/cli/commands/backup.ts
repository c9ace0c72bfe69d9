/**
 * `nats-bootstrap backup (--stream NAME | --kv BUCKET | --all) --output DIR [connection options]`
 * — snapshot streams into DIR in the nats CLI layout plus a manifest written last (DESIGN §6).
 * `--via-controller` asks the controller to run it with its own credentials instead.
 */
import { resolve } from 'node:path';
import type { BackupReport } from '../../app/backup.js';
import { backupSpecFrom, formatBytes } from '../../domain/backup.js';
import type { CommandInput, CommandResult } from '../context.js';
import { optBool, optString, optStrings } from '../option-parsing.js';
import { connectionFlags } from '../connection-flags.js';
import { packageVersion } from '../../infra/package-version.js';

export async function run(input: CommandInput): Promise<CommandResult> {
  const { options: o, ctx } = input;
  if (optBool(o, 'viaController')) {
    const { runViaController } = await import('./backup-via-controller.js');
    return runViaController(input);
  }
  const spec = backupSpecFrom({
    streams: optStrings(o, 'stream', '--stream', 'ERR-BKP-0001'),
    kv: optStrings(o, 'kv', '--kv', 'ERR-BKP-0001'),
    all: optBool(o, 'all'),
    output: optString(o, 'output', '--output', 'ERR-BKP-0001'),
  });
  const { checkOutputFolder, runBackup } = await import('../../app/backup.js');
  // Refuse a used output folder before touching the network.
  await checkOutputFolder(resolve(ctx.cwd, spec.output));
  const { runTransfer } = await import('../transfer-progress.js');
  const data = await runTransfer(ctx, 'backup', connectionFlags(o), (nc, progress) =>
    runBackup(nc, spec, { progress, signal: ctx.signal, toolVersion: packageVersion(), cwd: ctx.cwd }),
  );
  return { data, human: (d) => formatBackup(d as BackupReport) };
}

export function formatBackup(r: BackupReport): string {
  const lines: string[] = [];
  const where = r.source.cluster ? `cluster ${r.source.cluster}` : `server ${r.source.server_name ?? '?'}`;
  lines.push(`backup of ${r.streams.length} stream${r.streams.length === 1 ? '' : 's'} from ${where} (nats-server ${r.source.server_version ?? '?'}) → ${r.output}`);
  for (const s of r.streams) {
    const kind = s.kind === 'stream' ? 'stream' : `${s.kind === 'kv' ? 'kv' : 'obj'} ${s.bucket ?? ''}`;
    lines.push(
      `  ok  ${s.name.padEnd(20)} ${kind.padEnd(14)} ${String(s.messages).padStart(9)} msgs  seq ${s.first_seq}..${s.last_seq}  R${s.replicas}  ${formatBytes(s.files['stream.tar.s2'].size)}  ${(s.duration_ms / 1000).toFixed(1)} s`,
    );
  }
  for (const s of r.skipped) lines.push(`  --  ${s.name.padEnd(20)} skipped: ${s.reason}`);
  const secs = r.duration_ms / 1000;
  lines.push(`manifest: ${r.manifest}`);
  lines.push(`total ${formatBytes(r.total_bytes)} in ${secs.toFixed(1)} s${secs > 0 ? ` (${formatBytes(r.total_bytes / secs)}/s)` : ''}`);
  return lines.join('\n');
}
