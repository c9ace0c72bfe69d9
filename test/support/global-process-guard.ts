/**
 * Vitest global setup: every test run gets its own temp folder (TMPDIR, inherited by the test
 * workers, so every `tempDir()` of this run lives below it). Tests start detached nats-server and
 * controller processes (they outlive the test worker by design) and tear their own down; if one
 * fails half-way, the teardown here kills every process whose command line names this run's
 * folder — and says so, so the leak is visible and gets fixed. Runs in parallel (two developers,
 * two terminals) never touch each other's processes.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

function processesNaming(dir: string): Map<number, string> {
  const found = new Map<number, string>();
  if (process.platform !== 'linux') return found;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry) || Number(entry) === process.pid) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      if (cmd.includes(dir)) found.set(Number(entry), cmd.trim());
    } catch {
      /* gone */
    }
  }
  return found;
}

export default function setup(): () => void {
  const runDir = mkdtempSync(join(tmpdir(), 'nbs-run-'));
  process.env['TMPDIR'] = runDir;
  return () => {
    for (const [pid, cmd] of processesNaming(`${runDir}/`)) {
      console.warn(`process guard: killing leaked test process ${pid}: ${cmd.slice(0, 160)}`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
    rmSync(runDir, { recursive: true, force: true });
  };
}
