/** The config file `nats-config.json` (schemas/config.schema.json): defaults for every command. */
export interface BootstrapConfig {
  nats_server_path?: string;
  bin_dir?: string;
  datafolder?: string;
  cluster?: string;
  seeds?: string[];
  listen?: string;
  client_port?: number;
  cluster_port?: number;
  http_port?: number;
  bundle?: string;
  lame_duck_duration_s?: number;
  lame_duck_grace_period_s?: number;
  ready_timeout_s?: number;
}

export type ConfigSource = 'flag' | 'cwd' | 'home' | 'none';

export interface LoadedConfig {
  /** Absolute path of the file in use, or null when none was found. */
  path: string | null;
  source: ConfigSource;
  values: BootstrapConfig;
}

export const CONFIG_FILE_NAME = 'nats-config.json';
export const DEFAULT_DATAFOLDER = 'nats-bootstrap-data';

export function defaultBinDir(platform: NodeJS.Platform, home: string, env: Record<string, string | undefined>): string {
  if (platform === 'win32') return `${env['ProgramData'] ?? 'C:\\ProgramData'}\\nats-bootstrap\\bin`;
  return `${home}/.nats-bootstrap/bin`;
}
