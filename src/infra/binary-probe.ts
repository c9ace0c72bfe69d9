import { constants } from 'node:fs';
import { access, stat } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import type { AttemptReason } from '../domain/binary-resolution.js';

/** Check one candidate path: exists, is a file, is executable (on Windows a file is enough). */
export async function probeCandidate(path: string, platform: NodeJS.Platform = process.platform): Promise<AttemptReason> {
  let st;
  try {
    st = await stat(path);
  } catch {
    return 'not found';
  }
  if (!st.isFile()) return 'not a file';
  if (platform === 'win32') return 'ok';
  try {
    await access(path, constants.X_OK);
    return 'ok';
  } catch {
    return 'not executable';
  }
}

/** Run `<bin> --version`; resolves the combined output or rejects with the reason. */
export function runVersion(path: string, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(path, ['--version'], { timeout: timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
      if (err) reject(err);
      else resolve(`${stdout}${stderr}`);
    });
  });
}
