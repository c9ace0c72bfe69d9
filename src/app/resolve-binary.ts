import { homedir } from 'node:os';
import { dirname } from 'node:path';
import {
  RESOLUTION_PRIORITY,
  parseServerVersion,
  resolutionCandidates,
  type BinaryResolution,
  type ResolutionAttempt,
} from '../domain/binary-resolution.js';
import { defaultBinDir, type LoadedConfig } from '../domain/config.js';
import { NbsError } from '../domain/errors.js';
import { probeCandidate, runVersion } from '../infra/binary-probe.js';

export interface ResolveOptions {
  cliPath?: string | undefined;
  config: LoadedConfig;
  env: Record<string, string | undefined>;
  cwd: string;
  platform?: NodeJS.Platform;
  home?: string;
}

export interface ResolutionReport {
  priority: readonly string[];
  attempts: ResolutionAttempt[];
  selected: BinaryResolution | null;
  binDir: string;
}

/** How much to learn about the selected binary. */
export interface ResolveHow {
  /**
   * Run `<bin> --version` on the selected binary (default true). `up` passes false: it needs the
   * version only for a rejoin, and the `nats-server -t` check it runs anyway proves the binary
   * executes — one process spawn less on every start.
   */
  version?: boolean;
}

/** `<bin> --version` → the version, or a warning when it fails or prints none. */
export async function probeVersion(path: string): Promise<Pick<BinaryResolution, 'version' | 'versionWarning'>> {
  try {
    const version = parseServerVersion(await runVersion(path));
    return version ? { version } : { version: null, versionWarning: `${path} --version printed no version` };
  } catch (e) {
    return { version: null, versionWarning: `${path} --version failed: ${(e as Error).message.split('\n')[0]}` };
  }
}

/** Walk the five stages; record every attempt; stop at the first usable binary. Never throws. */
export async function inspectResolution(opts: ResolveOptions, how: ResolveHow = {}): Promise<ResolutionReport> {
  const platform = opts.platform ?? process.platform;
  const binDir = opts.config.values.bin_dir ?? defaultBinDir(platform, opts.home ?? homedir(), opts.env);
  const candidates = resolutionCandidates({
    platform,
    cliPath: opts.cliPath,
    configPath: opts.config.values.nats_server_path,
    configDir: opts.config.path ? dirname(opts.config.path) : undefined,
    env: opts.env,
    binDir,
    cwd: opts.cwd,
  });
  const attempts: ResolutionAttempt[] = [];
  for (const c of candidates) {
    if (c.paths.length === 0) {
      attempts.push({ source: c.source, candidate: null, ok: false, reason: 'not set', origin: c.origin });
      continue;
    }
    // For PATH, record only the first informative failure, not one line per PATH entry.
    let firstFailure: ResolutionAttempt | null = null;
    for (const p of c.paths) {
      const reason = await probeCandidate(p, platform);
      if (reason === 'ok') {
        attempts.push({ source: c.source, candidate: p, ok: true, reason: 'ok', origin: c.origin });
        const selected: BinaryResolution = { path: p, source: c.source, version: null, attempts };
        if (how.version !== false) Object.assign(selected, await probeVersion(p));
        return { priority: RESOLUTION_PRIORITY, attempts, selected, binDir };
      }
      const better = firstFailure === null || (firstFailure.reason === 'not found' && reason !== 'not found');
      if (better) firstFailure = { source: c.source, candidate: p, ok: false, reason, origin: c.origin };
    }
    if (c.source === 'path' && firstFailure?.reason === 'not found') {
      firstFailure = { source: 'path', candidate: `${c.paths.length} PATH entries`, ok: false, reason: 'not found', origin: 'PATH' };
    }
    if (firstFailure) attempts.push(firstFailure);
  }
  return { priority: RESOLUTION_PRIORITY, attempts, selected: null, binDir };
}

/** Resolve or throw ERR-CORE-0001 listing every attempt. */
export async function resolveBinary(opts: ResolveOptions, how: ResolveHow = {}): Promise<BinaryResolution> {
  const report = await inspectResolution(opts, how);
  if (report.selected) return report.selected;
  throw new NbsError('ERR-CORE-0001', 'nats-server binary not found', {
    details: report.attempts.map((a) => `${a.source}: ${a.candidate ?? '-'} (${a.reason})`),
    data: { attempts: report.attempts },
  });
}
