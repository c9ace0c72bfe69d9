import { DEFAULT_DATAFOLDER, type LoadedConfig } from '../domain/config.js';
import { loadConfig } from '../infra/config-file.js';
import { resolveBinary, type ResolveOptions } from './resolve-binary.js';
import type { BinaryResolution } from '../domain/binary-resolution.js';

/** What most use cases need first: the config file in use and how to resolve nats-server. */
export interface Environment {
  config: LoadedConfig;
  resolveOptions: ResolveOptions;
  resolve(): Promise<BinaryResolution>;
}

/** The data folder a node command works on: the flag, else the config file's, else the default. */
export function nodeDataFolder(env: Environment, flag: string | undefined): string {
  return flag ?? env.config.values.datafolder ?? DEFAULT_DATAFOLDER;
}

/**
 * The nats-server binary to signal a running node with (`--signal`): required on Windows;
 * elsewhere optional, as a plain kill(2) does the same when no binary is found. Its version is
 * not needed, so `--version` is not run.
 */
export async function signalBinary(env: Environment): Promise<string | undefined> {
  try {
    return (await resolveBinary(env.resolveOptions, { version: false })).path;
  } catch (e) {
    if (process.platform === 'win32') throw e;
    return undefined;
  }
}

/** The process edges a use case reads: global flags, environment variables, working folder. */
export interface EnvironmentInput {
  global: { config?: string | undefined; natsServerPath?: string | undefined };
  env: Record<string, string | undefined>;
  cwd: string;
}

export async function loadEnvironment(ctx: EnvironmentInput): Promise<Environment> {
  const config = await loadConfig({ explicit: ctx.global.config, cwd: ctx.cwd });
  const resolveOptions: ResolveOptions = { cliPath: ctx.global.natsServerPath, config, env: ctx.env, cwd: ctx.cwd };
  let cached: Promise<BinaryResolution> | undefined;
  return {
    config,
    resolveOptions,
    resolve: () => (cached ??= resolveBinary(resolveOptions)),
  };
}
