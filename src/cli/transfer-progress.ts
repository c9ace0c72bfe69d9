/**
 * Progress display for backup/restore: a cli-progress bar (bytes and rate) on a terminal only;
 * nothing when stderr is piped or with --json. Warnings always go to stderr.
 */
import type { SingleBar } from 'cli-progress';
import type { BackupProgress } from '../app/backup.js';
import type { RestoreProgress } from '../app/restore.js';
import { formatBytes } from '../domain/backup.js';
import type { CliContext } from './context.js';
import type { ConnectionFlags } from '../infra/connection-options.js';
import type { NatsConnection } from '../infra/nats-connection.js';

export interface TransferProgress {
  progress: BackupProgress & RestoreProgress;
  /** Remove the bar (call on success and failure). */
  stop(): void;
}

/**
 * One backup or restore run: connect with the connection flags (no reconnect: a transfer is not
 * resumed on another server), show progress, run `transfer`; the bar and the connection are
 * closed afterwards, also on failure.
 */
export async function runTransfer<T>(
  ctx: CliContext,
  verb: 'backup' | 'restore',
  flags: ConnectionFlags,
  transfer: (nc: NatsConnection, progress: TransferProgress['progress']) => Promise<T>,
): Promise<T> {
  const { resolveConnection } = await import('../infra/connection-options.js');
  const { openConnection } = await import('../infra/nats-connection.js');
  const conn = await resolveConnection(flags, { cwd: ctx.cwd, home: ctx.env['HOME'], xdgConfigHome: ctx.env['XDG_CONFIG_HOME'] });
  const nc = await openConnection({ ...conn.spec, name: `nats-bootstrap ${verb}`, reconnect: false });
  const bar = await transferProgress(ctx, verb);
  try {
    return await transfer(nc, bar.progress);
  } finally {
    bar.stop();
    await nc.close().catch(() => undefined);
  }
}

export async function transferProgress(ctx: CliContext, verb: 'backup' | 'restore'): Promise<TransferProgress> {
  const warn = (m: string) => ctx.err(`warning: ${m}`);
  const interactive = ctx.isTTY && !ctx.global.json && Boolean(process.stderr.isTTY);
  if (!interactive) return { progress: { warn }, stop: () => undefined };
  // Loaded only when a bar is drawn.
  const cliProgress = (await import('cli-progress')).default;

  let bar: SingleBar | undefined;
  let started = 0;
  const rate = (n: number) => {
    const s = (Date.now() - started) / 1000;
    return s > 0.2 ? `${formatBytes(n / s)}/s` : '…';
  };
  const stop = () => {
    bar?.stop();
    bar = undefined;
  };
  const format =
    verb === 'backup'
      ? `${verb} {name} | {done} written | {rate}`
      : `${verb} {name} [{bar}] {percentage}% | {done} of {all} | {rate}`;
  return {
    stop,
    progress: {
      warn: (m) => {
        if (bar) bar.stop();
        warn(m);
        bar = undefined;
      },
      streamStart(name, total) {
        stop();
        started = Date.now();
        bar = new cliProgress.SingleBar({ format, hideCursor: true, clearOnComplete: false, fps: 5, stream: process.stderr }, cliProgress.Presets.shades_classic);
        bar.start(Math.max(total, 1), 0, { name, done: formatBytes(0), all: formatBytes(total), rate: '…' });
      },
      bytes(_name, n) {
        bar?.update(n, { done: formatBytes(n), rate: rate(n) });
      },
      streamDone() {
        stop();
      },
    },
  };
}
