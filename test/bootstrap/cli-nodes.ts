/**
 * Drive the BUILT CLI (`node dist/cli/main.js`; build with `npx tsc -p tsconfig.json` first) and
 * make sure every node it started is gone after the test, even on failure.
 */
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { natsServerBin } from '../support/nats-harness.js';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  errLines: string[];
  json<T = Record<string, unknown>>(): T;
}

/** Hermetic environment: PATH, a fixed HOME, and the nats-server the tests use. */
export function cliEnv(home: string): Record<string, string> {
  return { PATH: process.env['PATH'] ?? '/usr/bin:/bin', HOME: home, NATS_SERVER_PATH: natsServerBin() };
}

export async function runCli(args: string[], opts: { cwd: string; env: Record<string, string>; timeoutMs?: number }): Promise<CliRun> {
  const r = await execa(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    reject: false,
    timeout: opts.timeoutMs ?? 90_000,
    stdin: 'ignore',
  });
  const stdout = String(r.stdout ?? '');
  const stderr = String(r.stderr ?? '');
  return {
    exitCode: r.exitCode ?? -1,
    stdout,
    stderr,
    errLines: stderr.split('\n').filter((l) => l.trim() !== ''),
    json: <T>() => JSON.parse(stdout) as T,
  };
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
