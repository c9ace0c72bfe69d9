/**
 * `doctor`: gather the facts once (config, resolution, the node of the data folder), run the
 * checks of doctor-checks.ts, and report each as ok | warn | fail with a hint. `ok` is false when
 * any check failed (the CLI then exits 1).
 *
 * An invalid or missing config file does not abort doctor (unlike every other command, which
 * exits 2): it is reported as a failed `config` check and the other checks run with defaults.
 */
import { resolve } from 'node:path';
import type { ResolutionAttempt } from '../domain/binary-resolution.js';
import type { LoadedConfig } from '../domain/config.js';
import { isNbsError, type NbsError } from '../domain/errors.js';
import { loadConfig } from '../infra/config-file.js';
import { DataFolder } from '../infra/data-folder.js';
import { DOCTOR_CHECKS, runChecks, type CheckStatus, type DoctorCheck, type DoctorContext, type DoctorOptions } from './doctor-checks.js';
import type { EnvironmentInput } from './environment.js';
import { inspectResolution } from './resolve-binary.js';
import { binaryFacts, inspectCluster, inspectNode, type BinaryFacts, type ClusterFacts } from './status.js';

export interface DoctorCheckReport {
  id: string;
  title: string;
  status: CheckStatus;
  message: string;
  hint: string | null;
}

export interface DoctorReport {
  schema_version: 1;
  /** False when any check failed. */
  ok: boolean;
  summary: Record<CheckStatus, number>;
  checks: DoctorCheckReport[];
  resolution: { priority: string[]; attempts: ResolutionAttempt[]; selected: BinaryFacts | null; bin_dir: string };
  config: { path: string | null; source: LoadedConfig['source']; error: string | null };
  datafolder: string;
}

export interface DoctorInput extends EnvironmentInput {
  datafolder?: string | undefined;
  options?: Partial<DoctorOptions>;
  platform?: NodeJS.Platform;
  /** Replace the check list (tests, embedding). */
  checks?: readonly DoctorCheck[];
}

async function loadConfigForDoctor(input: DoctorInput): Promise<{ config: LoadedConfig; error: NbsError | null }> {
  try {
    return { config: await loadConfig({ explicit: input.global.config, cwd: input.cwd }), error: null };
  } catch (e) {
    if (!isNbsError(e) || (e.id !== 'ERR-CORE-0002' && e.id !== 'ERR-CORE-0006')) throw e;
    const file = typeof e.data?.['file'] === 'string' ? e.data['file'] : input.global.config !== undefined ? resolve(input.cwd, input.global.config) : null;
    return { config: { path: file, source: input.global.config !== undefined ? 'flag' : file ? 'cwd' : 'none', values: {} }, error: e };
  }
}

export async function doctor(input: DoctorInput): Promise<DoctorReport> {
  const platform = input.platform ?? process.platform;
  const { config, error: configError } = await loadConfigForDoctor(input);
  // A config that failed to load is not used for resolution (its values are unknown).
  const usable: LoadedConfig = configError ? { path: null, source: 'none', values: {} } : config;
  const folder = new DataFolder(input.datafolder ?? usable.values.datafolder, input.cwd);
  const [resolution, node] = await Promise.all([
    inspectResolution({ cliPath: input.global.natsServerPath, config: usable, env: input.env, cwd: input.cwd, platform }),
    inspectNode(folder, usable),
  ]);
  let clusterMemo: Promise<ClusterFacts | null> | undefined;
  const ctx: DoctorContext = {
    cwd: input.cwd,
    env: input.env,
    platform,
    config,
    configError,
    resolution,
    node,
    cluster: () => (clusterMemo ??= node.running ? inspectCluster(node) : Promise.resolve(null)),
    options: { controller: input.options?.controller ?? false },
    global: input.global,
  };
  const checks: DoctorCheckReport[] = await runChecks(ctx, input.checks ?? DOCTOR_CHECKS);
  if (ctx.options.controller && !checks.some((c) => c.id === 'controller')) {
    checks.push({ id: 'controller', title: 'controller reachable', status: 'warn', message: 'the controller check is not available in this build', hint: 'update nats-bootstrap' });
  }
  const summary: Record<CheckStatus, number> = { ok: 0, warn: 0, fail: 0 };
  for (const c of checks) summary[c.status]++;
  return {
    schema_version: 1,
    ok: summary.fail === 0,
    summary,
    checks,
    resolution: { priority: [...resolution.priority], attempts: resolution.attempts, selected: binaryFacts(resolution), bin_dir: resolution.binDir },
    config: { path: config.path, source: config.source, error: configError ? configError.message : null },
    datafolder: folder.root,
  };
}
