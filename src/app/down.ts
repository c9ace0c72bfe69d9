/**
 * `down`: stop the node of a data folder through its pid file. Lame duck by default (the server
 * hands off its RAFT leaderships and evicts clients over lame_duck_duration), `now` = immediate.
 * `stopNode` is reused by `leave` and `demo`.
 */
import { DataFolder } from '../infra/data-folder.js';
import { NbsError } from '../domain/errors.js';
import { DEFAULT_LAME_DUCK_DURATION_S, DEFAULT_LAME_DUCK_GRACE_PERIOD_S } from '../domain/bootstrap-plan.js';
import { signalServer } from '../infra/nats-server-process.js';
import { waitForExit } from '../infra/process-check.js';

export interface StopOptions {
  /** Immediate stop (SIGTERM / --signal term) instead of lame duck. */
  now?: boolean;
  /** Upper bound for the wait; default lame-duck duration + grace + 15 s (now: 15 s). */
  timeoutMs?: number;
  /** nats-server binary for `--signal` (required on Windows; POSIX falls back to kill(2)). */
  bin?: string;
  /** Working folder to resolve a relative data folder (default process.cwd()). */
  cwd?: string;
  /** Called once the signal was sent (progress output). */
  onSignalled?: (info: { pid: number; mode: StopMode; timeoutMs: number }) => void;
}

export type StopMode = 'lame-duck' | 'immediate';

export interface StopResult {
  schema_version: 1;
  datafolder: string;
  server_name: string | null;
  pid: number;
  mode: StopMode;
  stopped: true;
  waited_ms: number;
}

/** Stop the nats-server of `dataFolder` (a path or a DataFolder) and wait (bounded) until it exited. */
export async function stopNode(dataFolder: string | DataFolder, opts: StopOptions = {}): Promise<StopResult> {
  const df = typeof dataFolder === 'string' ? new DataFolder(dataFolder, opts.cwd ?? process.cwd()) : dataFolder;
  if (!(await df.exists())) {
    throw new NbsError('ERR-BOOT-0006', `data folder ${df.root} does not exist`);
  }
  const state = await df.readState();
  const st = await df.processStatus();
  if (st.pid === null) {
    throw new NbsError('ERR-BOOT-0006', `no pid file ${df.path('pid')}: no node is running from ${df.root}`);
  }
  if (!st.running) {
    throw new NbsError('ERR-BOOT-0006', `pid file ${df.path('pid')} names process ${st.pid}, which is not a running nats-server (stale pid file)`, {
      hint: 'the node is already stopped; up starts it again (the stale pid file is ignored)',
      data: { pid: st.pid, stale: true },
    });
  }
  const mode: StopMode = opts.now ? 'immediate' : 'lame-duck';
  const ld = state?.lame_duck ?? { duration_s: DEFAULT_LAME_DUCK_DURATION_S, grace_period_s: DEFAULT_LAME_DUCK_GRACE_PERIOD_S };
  const timeoutMs = opts.timeoutMs ?? (opts.now ? 15_000 : (ld.duration_s + ld.grace_period_s + 15) * 1000);
  const started = Date.now();
  try {
    await signalServer(st.pid, opts.now ? 'term' : 'ldm', opts.bin);
  } catch (e) {
    throw new NbsError('ERR-BOOT-0007', `cannot signal nats-server ${st.pid}: ${(e as Error).message}`, { cause: e });
  }
  opts.onSignalled?.({ pid: st.pid, mode, timeoutMs });
  if (!(await waitForExit(st.pid, timeoutMs))) {
    throw new NbsError('ERR-BOOT-0007', `nats-server ${st.pid} did not exit within ${Math.round(timeoutMs / 1000)} s (${mode})`, {
      ...(opts.now ? { hint: `kill it by hand: kill -9 ${st.pid}` } : {}),
      data: { pid: st.pid, mode },
    });
  }
  // The server removes its pid file on a clean exit; a crash or kill can leave it behind.
  await df.removePid();
  return {
    schema_version: 1,
    datafolder: df.root,
    server_name: state?.server_name ?? null,
    pid: st.pid,
    mode,
    stopped: true,
    waited_ms: Date.now() - started,
  };
}
