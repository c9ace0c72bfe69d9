/**
 * Nodes started through the BUILT CLI (test/support/cli-run.ts): the environment they run in, and
 * making sure every node a test started is gone after it, even on failure.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { natsServerBin } from '../support/nats-harness.js';

/** Hermetic environment: PATH, a fixed HOME, and the nats-server the tests use. */
export function cliEnv(home: string): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, NATS_SERVER_PATH: natsServerBin() };
}

/** Data folders a test used: killNodes() SIGKILLs whatever their pid files still name. */
export class NodeTracker {
  readonly folders = new Set<string>();
  constructor() {
    // Backstop when afterAll never runs (worker killed, timeout): SIGKILL what the pid files name.
    process.once('exit', () => {
      for (const f of this.folders) {
        try {
          const pid = Number.parseInt(readFileSync(join(f, 'nats-server.pid'), 'utf8'), 10);
          if (pid > 0) process.kill(pid, 'SIGKILL');
        } catch {
          /* none */
        }
      }
    });
  }
  add(folder: string): string {
    this.folders.add(folder);
    return folder;
  }
  async killNodes(): Promise<void> {
    for (const f of this.folders) {
      try {
        const pid = Number.parseInt(await readFile(join(f, 'nats-server.pid'), 'utf8'), 10);
        if (pid > 0) process.kill(pid, 'SIGKILL');
      } catch {
        /* no pid file or already gone */
      }
    }
  }
}
