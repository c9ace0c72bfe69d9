/**
 * Vitest global setup: a backstop against leaked processes. Tests start detached nats-server and
 * controller processes (they outlive the test worker by design). Each test tears its own down;
 * if one fails half-way in setup, this teardown kills every nats-server or nats-bootstrap
 * process that lives in a test temp folder and did not exist when the run began — and names it,
 * so the leak is visible and gets fixed.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';

const TEST_PREFIX = `${tmpdir()}/nbs-`;

function testProcesses(): Map<number, string> {
  const found = new Map<number, string>();
  if (process.platform !== 'linux') return found;
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmd = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').join(' ');
      const ours = cmd.includes('nats-server') || cmd.includes('dist/cli/main.js');
      if (ours && cmd.includes(TEST_PREFIX)) found.set(Number(entry), cmd.trim());
    } catch {
      /* gone */
    }
  }
  return found;
}

export default function setup(): () => void {
  const before = new Set(testProcesses().keys());
  return () => {
    const leaked = [...testProcesses()].filter(([pid]) => !before.has(pid));
    for (const [pid, cmd] of leaked) {
      console.warn(`process guard: killing leaked test process ${pid}: ${cmd.slice(0, 160)}`);
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        /* gone */
      }
    }
  };
}
