/**
 * Run the BUILT CLI (`node dist/cli/main.js …`, build with `npx tsc -p tsconfig.json` first) in a
 * hermetic environment: only PATH and a temporary HOME unless the test passes more.
 */
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';

export const CLI = fileURLToPath(new URL('../../dist/cli/main.js', import.meta.url));

export interface CliRun {
  exitCode: number;
  stdout: string;
  stderr: string;
  /** stderr split into non-empty lines. */
  errLines: string[];
}

export async function runCli(args: string[], opts: { cwd: string; env: Record<string, string | undefined>; timeoutMs?: number }): Promise<CliRun> {
  const r = await execa(process.execPath, [CLI, ...args], {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    reject: false,
    timeout: opts.timeoutMs ?? 30_000,
    stdin: 'ignore',
  });
  const stderr = String(r.stderr ?? '');
  return { exitCode: r.exitCode ?? -1, stdout: String(r.stdout ?? ''), stderr, errLines: stderr.split('\n').filter((l) => l.trim() !== '') };
}

/** Every file and folder under dir (relative paths, sorted): proves a command wrote nothing. */
export async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      out.push(p);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk('');
  return out.sort();
}
