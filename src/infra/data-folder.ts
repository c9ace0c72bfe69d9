import { mkdir, readFile, rename, stat, writeFile, rm, open } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { DATA_FILES, type NodeState } from '../domain/node-state.js';
import { DEFAULT_DATAFOLDER } from '../domain/config.js';
import { NbsError } from '../domain/errors.js';
import { isProcessAlive } from './process-check.js';

/** Paths of one node's data folder (DESIGN §3). */
export class DataFolder {
  readonly root: string;
  constructor(dir: string | undefined, cwd: string) {
    this.root = resolve(cwd, dir ?? DEFAULT_DATAFOLDER);
  }
  path(file: keyof typeof DATA_FILES): string {
    return join(this.root, DATA_FILES[file]);
  }

  /** Does the folder exist (and is it a folder)? Throws ERR-BOOT-0008 when it is a file. */
  async exists(): Promise<boolean> {
    try {
      const st = await stat(this.root);
      if (!st.isDirectory()) throw new NbsError('ERR-BOOT-0008', `data folder ${this.root} is not a folder`);
      return true;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw e;
    }
  }

  async ensure(): Promise<void> {
    await this.exists();
    await mkdir(this.root, { recursive: true });
  }

  async readState(): Promise<NodeState | null> {
    try {
      return JSON.parse(await readFile(this.path('state'), 'utf8')) as NodeState;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
      throw new NbsError('ERR-BOOT-0008', `cannot read ${this.path('state')}: ${(e as Error).message}`, { cause: e });
    }
  }

  async writeState(state: NodeState): Promise<void> {
    await writeFileAtomic(this.path('state'), `${JSON.stringify(state, null, 2)}\n`);
  }

  /** The pid in the pid file, or null when there is none. */
  async readPid(): Promise<number | null> {
    try {
      const n = Number.parseInt((await readFile(this.path('pid'), 'utf8')).trim(), 10);
      return Number.isFinite(n) && n > 0 ? n : null;
    } catch {
      return null;
    }
  }

  async writePid(pid: number): Promise<void> {
    await writeFileAtomic(this.path('pid'), `${pid}\n`);
  }

  async removePid(): Promise<void> {
    await rm(this.path('pid'), { force: true });
  }

  /** pid file + live nats-server process. */
  async processStatus(): Promise<{ pid: number | null; running: boolean; stale: boolean }> {
    const pid = await this.readPid();
    if (pid === null) return { pid: null, running: false, stale: false };
    const running = await isProcessAlive(pid, 'nats-server');
    return { pid, running, stale: !running };
  }
}

/** Write via a temp file and rename, so readers never see half a file. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  const tmp = `${path}.${process.pid}.${Date.now()}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, path);
}
