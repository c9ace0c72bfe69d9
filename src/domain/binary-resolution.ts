/**
 * nats-server resolution (seed F-2): five stages in a fixed order. The domain decides the order
 * and the candidates; the infrastructure probes files and runs `--version`.
 */
export const RESOLUTION_PRIORITY = ['cli', 'config', 'env', 'bin-dir', 'path'] as const;
export type ResolutionSource = (typeof RESOLUTION_PRIORITY)[number];

export type AttemptReason = 'not set' | 'not found' | 'not a file' | 'not executable' | 'ok';

export interface ResolutionAttempt {
  source: ResolutionSource;
  /** The path tried (absolute where known), or null when the stage was not set. */
  candidate: string | null;
  ok: boolean;
  reason: AttemptReason;
  /** Where the candidate came from, e.g. "--nats-server-path", "NATS_SERVER_BIN", "PATH". */
  origin?: string;
}

export interface BinaryResolution {
  path: string;
  source: ResolutionSource;
  /** e.g. "2.9.10"; null when `--version` failed (a warning, not an error). */
  version: string | null;
  versionWarning?: string;
  attempts: ResolutionAttempt[];
}

export interface ResolutionInputs {
  platform: NodeJS.Platform;
  cliPath?: string | undefined;
  configPath?: string | undefined;
  env: Record<string, string | undefined>;
  binDir: string;
  /** Resolves a relative candidate (cwd, or the config file's folder for config values). */
  cwd: string;
  configDir?: string | undefined;
}

export interface Candidate {
  source: ResolutionSource;
  origin: string;
  /** Paths to try, in order; empty when the stage is not set. */
  paths: string[];
}

export function binaryFileName(platform: NodeJS.Platform): string {
  return platform === 'win32' ? 'nats-server.exe' : 'nats-server';
}

function joinPath(platform: NodeJS.Platform, dir: string, name: string): string {
  const sep = platform === 'win32' ? '\\' : '/';
  return dir.endsWith('/') || dir.endsWith('\\') ? `${dir}${name}` : `${dir}${sep}${name}`;
}

function isAbsolute(platform: NodeJS.Platform, p: string): boolean {
  if (platform === 'win32') return /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\') || p.startsWith('/');
  return p.startsWith('/');
}

function absolutize(platform: NodeJS.Platform, base: string, p: string): string {
  return isAbsolute(platform, p) ? p : joinPath(platform, base, p);
}

/** Windows users often give the path without `.exe`: try both. */
function withWindowsExe(platform: NodeJS.Platform, p: string): string[] {
  if (platform !== 'win32' || /\.exe$/i.test(p)) return [p];
  return [p, `${p}.exe`];
}

/** The candidates of each stage, in priority order. Pure: no file-system access. */
export function resolutionCandidates(inp: ResolutionInputs): Candidate[] {
  const { platform } = inp;
  const name = binaryFileName(platform);
  const envPath = inp.env['NATS_SERVER_PATH'] || undefined;
  const envCompat = inp.env['NATS_SERVER_BIN'] || undefined;
  const pathVar = inp.env['PATH'] ?? inp.env['Path'] ?? '';
  const pathDirs = pathVar.split(platform === 'win32' ? ';' : ':').filter((d) => d.length > 0);
  return [
    { source: 'cli', origin: '--nats-server-path', paths: inp.cliPath ? withWindowsExe(platform, absolutize(platform, inp.cwd, inp.cliPath)) : [] },
    {
      source: 'config',
      origin: 'nats_server_path',
      paths: inp.configPath ? withWindowsExe(platform, absolutize(platform, inp.configDir ?? inp.cwd, inp.configPath)) : [],
    },
    {
      source: 'env',
      origin: envPath ? 'NATS_SERVER_PATH' : envCompat ? 'NATS_SERVER_BIN' : 'NATS_SERVER_PATH/NATS_SERVER_BIN',
      paths: (envPath ?? envCompat) ? withWindowsExe(platform, absolutize(platform, inp.cwd, (envPath ?? envCompat) as string)) : [],
    },
    { source: 'bin-dir', origin: 'bin_dir', paths: [joinPath(platform, absolutize(platform, inp.cwd, inp.binDir), name)] },
    { source: 'path', origin: 'PATH', paths: pathDirs.map((d) => joinPath(platform, absolutize(platform, inp.cwd, d), name)) },
  ];
}

/** Parse `nats-server --version` output ("nats-server: v2.9.10"). */
export function parseServerVersion(output: string): string | null {
  const m = /v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)/.exec(output);
  return m ? (m[1] ?? null) : null;
}

/** Compare dotted versions numerically; pre-release tags are ignored. */
export function versionAtLeast(version: string | null, min: string): boolean {
  if (!version) return false;
  const a = version.split(/[-+]/)[0]!.split('.').map(Number);
  const b = min.split('.').map(Number);
  for (let i = 0; i < 3; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    if (x !== y) return x > y;
  }
  return true;
}
