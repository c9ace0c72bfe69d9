/** What every command receives from the entry point: global flags and the process edges. */
export interface GlobalOptions {
  /** --config FILE (explicit config file; missing file is an error). */
  config?: string;
  /** --nats-server-path PATH */
  natsServerPath?: string;
  json: boolean;
  debug: boolean;
}

export interface CliContext {
  global: GlobalOptions;
  env: NodeJS.ProcessEnv;
  cwd: string;
  /** Human output (stdout). */
  out: (text: string) => void;
  /** Warnings and progress (stderr). */
  err: (text: string) => void;
  /** True when stdout is a terminal (progress bars, colours). */
  isTTY: boolean;
  /** Fires when the user asks to stop (SIGINT/SIGTERM) — for foreground commands. */
  signal: AbortSignal;
}

/** A command's result: one data object feeds both the human text and --json (DESIGN §8.4). */
export interface CommandResult<T extends object = object> {
  data: T;
  human(data: T): string;
  /** 0 unless the command reports a failed check (doctor) — errors are thrown as NbsError. */
  exitCode?: 0 | 1 | 3;
}

export interface CommandInput {
  /** Positional arguments (after the command name). */
  args: string[];
  /** Raw cac options (camelCased); each command parses them into its own typed options. */
  options: Record<string, unknown>;
  /** Arguments after `--`. */
  passthrough: string[];
  ctx: CliContext;
}

export interface CommandModule {
  run(input: CommandInput): Promise<CommandResult>;
}
