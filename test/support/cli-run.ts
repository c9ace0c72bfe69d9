/**
 * Run the BUILT CLI (`node dist/cli/main.js …`; build with `npx tsc -p tsconfig.json` first) with
 * exactly the environment the test passes (nothing inherited), stdin closed, never rejecting.
 */
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stderr split into non-empty lines. */
  errLines: string[];
  /** stdout parsed as JSON (`--json`). */
  json<T = Record<string, unknown>>(): T;
}

export async function runCli(args: string[], opts: { cwd: string; env: Record<string, string | undefined>; timeoutMs?: number }): Promise<CliRun> {
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
