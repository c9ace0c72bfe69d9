/**
 * Run the BUILT CLI (`node dist/cli/main.js …`; build with `npx tsc -p tsconfig.json` first) with
 * exactly the environment the test passes (nothing inherited), stdin closed: `runCli` waits for the exit
 * (never rejecting), `spawnCli` starts it in the foreground for the test to signal.
 */
import { spawn, type ChildProcess } from 'node:child_process';
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

export interface CliChild {
  child: ChildProcess;
  /** Everything the CLI wrote to stdout so far. */
  out(): string;
  /** Everything the CLI wrote to stderr so far. */
  err(): string;
  /** Resolves with the exit code (null when killed by a signal). */
  exited: Promise<number | null>;
}

/** Start the built CLI in the foreground (stdin closed, exactly the given env), collecting its output. */
export function spawnCli(args: string[], opts: { cwd: string; env: Record<string, string | undefined> }): CliChild {
  const child = spawn(process.execPath, [CLI, ...args], { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { child, out: () => out, err: () => err, exited };
}
