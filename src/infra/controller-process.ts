/**
 * A controller (`nats-bootstrap controller start --dir DIR`) run as a detached background
 * process with its log in a file and its pid in a pid file (used by `demo --detach`).
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { writeFileAtomic } from './data-folder.js';
import { isProcessAlive, waitForExit } from './process-check.js';

/** The CLI entry point of this installation (dist/cli/main.js next to this module's folder). */
function cliEntryPoint(): string {
  return fileURLToPath(new URL('../cli/main.js', import.meta.url));
}

export interface DetachedControllerSpec {
  identityDir: string;
  servers: string[];
  logFile: string;
  pidFile: string;
  env?: NodeJS.ProcessEnv;
}

/** Start `controller start` detached (own process group, log appended to logFile); writes the pid file. */
export async function spawnDetachedController(spec: DetachedControllerSpec): Promise<number> {
  const fd = openSync(spec.logFile, 'a', 0o600);
  try {
    const pid = await new Promise<number>((resolve, reject) => {
      const child = spawn(process.execPath, [cliEntryPoint(), 'controller', 'start', '--dir', spec.identityDir, '--server', spec.servers.join(',')], {
        detached: true,
        stdio: ['ignore', fd, fd],
        windowsHide: true,
        env: spec.env ?? process.env,
      });
      child.once('error', reject);
      child.once('spawn', () => {
        child.unref();
        resolve(child.pid!);
      });
    });
    await writeFileAtomic(spec.pidFile, `${pid}\n`, 0o644);
    return pid;
  } finally {
    closeSync(fd);
  }
}

/** The pid in the pid file when that process still runs a controller for identityDir, else null. */
export async function runningControllerPid(pidFile: string, identityDir: string): Promise<number | null> {
  let pid: number;
  try {
    pid = Number.parseInt((await readFile(pidFile, 'utf8')).trim(), 10);
  } catch {
    return null;
  }
  if (!Number.isInteger(pid) || pid <= 0) return null;
  return (await isProcessAlive(pid, identityDir)) ? pid : null;
}

/**
 * Wait until the controller's log (from byte offset `from`) says it started, the process exited,
 * or the time is up.
 */
export async function waitForControllerStarted(pid: number, logFile: string, from: number, timeoutMs: number): Promise<{ started: boolean; exited: boolean; log: string }> {
  const deadline = Date.now() + timeoutMs;
  let log = '';
  for (;;) {
    try {
      log = (await readFile(logFile)).subarray(from).toString('utf8');
    } catch {
      log = '';
    }
    if (/"msg":"controller started"/.test(log)) return { started: true, exited: false, log };
    if (!(await isProcessAlive(pid))) return { started: false, exited: true, log };
    if (Date.now() > deadline) return { started: false, exited: false, log };
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** SIGTERM (graceful stop), then SIGKILL after timeoutMs; removes the pid file. True when it exited. */
export async function stopControllerProcess(pid: number, pidFile: string | null, timeoutMs = 15_000): Promise<boolean> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    /* already gone */
  }
  let exited = await waitForExit(pid, timeoutMs, 50);
  if (!exited) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
    exited = await waitForExit(pid, 5000, 50);
  }
  if (pidFile) await rm(pidFile, { force: true });
  return exited;
}
