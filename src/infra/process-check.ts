import { readFile } from 'node:fs/promises';

/**
 * Is `pid` a live process (and, where the OS lets us see it, one whose command line mentions
 * `nameHint`, so a reused pid of another program does not count)?
 */
export async function isProcessAlive(pid: number, nameHint?: string): Promise<boolean> {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform === 'linux') {
    // A zombie has exited; its parent (often init) may take a second or more to reap it.
    try {
      const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
      if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) return false;
    } catch {
      return false;
    }
  }
  if (!nameHint || process.platform !== 'linux') return true;
  try {
    const cmd = await readFile(`/proc/${pid}/cmdline`, 'utf8');
    if (cmd.includes(nameHint)) return true;
    // A zombie has an empty cmdline: treat it as gone.
    return false;
  } catch {
    return false;
  }
}

/** Wait until the process is gone, up to timeoutMs. Resolves true when it exited. */
export async function waitForExit(pid: number, timeoutMs: number, intervalMs = 100): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!(await isProcessAlive(pid))) return true;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  return !(await isProcessAlive(pid));
}
