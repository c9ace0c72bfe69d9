/** Fake nats-server executables (shell scripts printing a version) for resolution-order tests. */
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** Write `<dir>/nats-server` printing `nats-server: v<version>`; mode 0755 unless told otherwise. */
export async function fakeServer(dir: string, version: string, opts: { mode?: number; name?: string; exitCode?: number } = {}): Promise<string> {
  await mkdir(dir, { recursive: true });
  const path = join(dir, opts.name ?? 'nats-server');
  const body = opts.exitCode ? `echo "boom" >&2\nexit ${opts.exitCode}` : `echo "nats-server: v${version}"`;
  await writeFile(path, `#!/bin/sh\n${body}\n`);
  await chmod(path, opts.mode ?? 0o755);
  return path;
}
