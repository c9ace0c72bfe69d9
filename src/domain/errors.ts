/**
 * The one error type of nats-bootstrap (DESIGN §8.3). Every failure a user can meet carries an
 * ID from the catalog below, a hint, an optional cause and the exit code the CLI returns.
 * Exit codes (DESIGN §4): 1 operation/check failed, 2 bad usage or input (nothing changed),
 * 3 refused for safety.
 */
export type ExitCode = 1 | 2 | 3;

export interface ErrorSpec {
  readonly exit: ExitCode;
  /** Short summary used in docs/errors.md and as the default hint. */
  readonly title: string;
  readonly hint: string;
}

/** The single table of error IDs → exit code and default hint. Keep docs/errors.md in step. */
export const ERROR_CATALOG = {
  // core
  'ERR-CORE-0001': { exit: 1, title: 'nats-server binary not found', hint: 'install nats-server, put it on PATH, or pass --nats-server-path' },
  'ERR-CORE-0002': { exit: 2, title: 'invalid configuration file', hint: 'fix the key named in the message; see schemas/config.schema.json' },
  'ERR-CORE-0003': { exit: 1, title: 'command not available yet', hint: 'this command arrives in a later release' },
  'ERR-CORE-0004': { exit: 2, title: 'bad command-line usage', hint: 'run nats-bootstrap <command> --help' },
  'ERR-CORE-0005': { exit: 3, title: '--confirm required', hint: 'repeat the command with --confirm once you are sure' },
  'ERR-CORE-0006': { exit: 2, title: 'configuration file not found or unreadable', hint: 'check the path given to --config' },
  'ERR-CORE-0007': { exit: 1, title: 'unexpected internal error', hint: 'run again with --debug and report the stack trace' },
  'ERR-CORE-0008': { exit: 3, title: 'refused for safety', hint: 'read the numbers above; --force overrides when you accept the risk' },
  'ERR-CORE-0009': { exit: 1, title: 'cannot connect to NATS', hint: 'check the server URL, that the server runs, and the credentials' },
  // bootstrap (up/join/down)
  'ERR-BOOT-0001': { exit: 2, title: 'invalid bootstrap option', hint: 'check the flag named in the message' },
  'ERR-BOOT-0002': { exit: 2, title: 'join with --cluster needs --seed', hint: 'pass at least one --seed HOST[:PORT]' },
  'ERR-BOOT-0003': { exit: 2, title: '--cluster and --nats-config exclude each other', hint: 'use --cluster for a generated config or --nats-config for your own' },
  'ERR-BOOT-0004': { exit: 1, title: 'nats-server rejected the configuration', hint: 'read the nats-server -t output above' },
  'ERR-BOOT-0005': { exit: 1, title: 'node did not become ready', hint: 'read the log tail and diagnosis above' },
  'ERR-BOOT-0006': { exit: 1, title: 'no running node in this data folder', hint: 'check --datafolder; start the node with up' },
  'ERR-BOOT-0007': { exit: 1, title: 'node did not stop in time', hint: 'use down --now --confirm to stop it immediately' },
  'ERR-BOOT-0008': { exit: 2, title: 'data folder unusable', hint: 'pass --datafolder pointing to a writable folder' },
  'ERR-BOOT-0009': { exit: 3, title: 'this node has left the cluster', hint: 'use up --rejoin to wipe the stale JetStream state and join as a fresh member' },
  'ERR-BOOT-0010': { exit: 2, title: 'server name conflicts with the data folder', hint: 'the server name is fixed once chosen; omit --server-name or use another data folder' },
  'ERR-BOOT-0011': { exit: 2, title: 'server name already used in the cluster', hint: 'every node needs its own --server-name (default: the host name)' },
  'ERR-BOOT-0012': { exit: 2, title: 'cluster name differs from a running seed', hint: 'every node needs the same --cluster; check the seeds' },
  // control plane
  'ERR-CTL-0001': { exit: 1, title: 'controller unreachable', hint: 'start the controller (controller start --dir DIR) and check the node can reach a cluster server' },
  'ERR-CTL-0002': { exit: 2, title: 'invalid control-plane input', hint: 'check the bundle or request named in the message' },
  'ERR-CTL-0003': { exit: 3, title: 'identity already exists', hint: 'choose another --out folder; an existing identity is never overwritten' },
  'ERR-CTL-0004': { exit: 3, title: 'controller refused the request', hint: 'read the reasons; --force overrides when you accept the risk' },
  'ERR-CTL-0005': { exit: 1, title: 'controller request failed', hint: 'read the controller log and the audit record' },
  // backup / restore
  'ERR-BKP-0001': { exit: 2, title: 'invalid backup input', hint: 'check the option or file named in the message' },
  'ERR-BKP-0002': { exit: 1, title: 'snapshot failed', hint: 'check the server is reachable and the stream exists' },
  'ERR-BKP-0003': { exit: 3, title: 'restore target exists', hint: 'pass --replace to overwrite it (its current data is lost)' },
  'ERR-BKP-0004': { exit: 2, title: 'backup integrity check failed', hint: 'the backup was changed or is incomplete; use another copy' },
  'ERR-BKP-0005': { exit: 1, title: 'restore failed', hint: 'read the server response above' },
  'ERR-BKP-0006': { exit: 2, title: 'backup output folder not empty', hint: 'name a new or empty --output folder; a backup is never written over another' },
  // services
  'ERR-SVC-0001': { exit: 1, title: 'service operation failed', hint: 'read the message; services need administrator/root rights' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorId = keyof typeof ERROR_CATALOG;

export interface NbsErrorOptions {
  hint?: string;
  cause?: unknown;
  exit?: ExitCode;
  /** Extra lines printed after the error line (log tails, lists of affected streams). */
  details?: string[];
  /** Machine-readable facts for --json output. */
  data?: Record<string, unknown>;
}

export class NbsError extends Error {
  readonly id: ErrorId;
  readonly hint: string;
  readonly exitCode: ExitCode;
  readonly details: string[];
  readonly data: Record<string, unknown> | undefined;

  constructor(id: ErrorId, message: string, options: NbsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NbsError';
    const spec: ErrorSpec = ERROR_CATALOG[id];
    this.id = id;
    this.hint = options.hint ?? spec.hint;
    this.exitCode = options.exit ?? spec.exit;
    this.details = options.details ?? [];
    this.data = options.data;
  }
}

export function isNbsError(e: unknown): e is NbsError {
  return e instanceof NbsError;
}

/** Wrap anything thrown into an NbsError (unknown errors become ERR-CORE-0007). */
export function toNbsError(e: unknown): NbsError {
  if (isNbsError(e)) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new NbsError('ERR-CORE-0007', message, { cause: e });
}
