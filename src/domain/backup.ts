/**
 * Backup and restore rules (DESIGN §6), pure: what to back up, the manifest that proves a backup
 * is complete, and the checks a restore makes before it creates anything. No I/O here.
 *
 * Layout (the `nats` CLI's, plus a manifest written last):
 *   <dir>/manifest.json
 *   <dir>/<stream>/backup.json     {"config", "state"} from the snapshot reply
 *   <dir>/<stream>/stream.tar.s2   the server's snapshot bytes, unchanged (s2-compressed tar)
 */
import { isAbsolute, relative, resolve, sep } from 'node:path';
import { NbsError } from './errors.js';

export const BACKUP_FILES = {
  manifest: 'manifest.json',
  meta: 'backup.json',
  data: 'stream.tar.s2',
} as const;

export const MANIFEST_FORMAT = 'nats-bootstrap-backup';

/** What the user asked to back up. */
export interface BackupSpec {
  /** Stream names (a `--kv BUCKET` becomes `KV_BUCKET`). */
  streams: string[];
  /** Every stream of the account (KV buckets and object stores included). */
  all: boolean;
  /** Output folder: must not exist yet or be empty. */
  output: string;
  /** Include consumer definitions and state in the snapshot (default true, as the nats CLI). */
  includeConsumers?: boolean;
}

export type StreamKind = 'stream' | 'kv' | 'object_store';

/** Subset of the JetStream stream config we read; the rest is carried through untouched. */
export interface StreamConfigJson {
  name: string;
  storage?: 'file' | 'memory' | string;
  num_replicas?: number;
  placement?: { cluster?: string; tags?: string[] } | null;
  [key: string]: unknown;
}

export interface StreamStateJson {
  messages: number;
  bytes: number;
  first_seq: number;
  last_seq: number;
  consumer_count?: number;
  [key: string]: unknown;
}

/** backup.json — exactly what the snapshot reply carried, as the nats CLI stores it. */
export interface BackupMeta {
  config: StreamConfigJson;
  state: StreamStateJson;
}

export interface ManifestFile {
  sha256: string;
  size: number;
}

export interface ManifestStream {
  name: string;
  kind: StreamKind;
  /** KV bucket or object store name, when kind is not "stream". */
  bucket?: string;
  storage: string;
  replicas: number;
  messages: number;
  bytes: number;
  first_seq: number;
  last_seq: number;
  consumers: number;
  files: { 'backup.json': ManifestFile; 'stream.tar.s2': ManifestFile };
}

export interface BackupManifest {
  schema_version: 1;
  format: typeof MANIFEST_FORMAT;
  tool: { name: 'nats-bootstrap'; version: string };
  started_at: string;
  completed_at: string;
  source: { cluster: string | null; server_name: string | null; server_version: string | null };
  streams: ManifestStream[];
  skipped: Array<{ name: string; reason: string }>;
}

const MAX_NAME_LEN = 255;

/**
 * Why `name` is not a usable stream name (and so not a safe folder name), or null when it is.
 * JetStream forbids whitespace, `.`, `*`, `>` and path separators; we also refuse control
 * characters, so `..`, `../x`, `a/b` and absolute paths can never become a folder.
 */
export function streamNameProblem(name: unknown): string | null {
  if (typeof name !== 'string' || name === '') return 'the stream name is empty';
  if (name.length > MAX_NAME_LEN) return `the stream name is longer than ${MAX_NAME_LEN} characters`;
  if (/[\s.*>/\\]/.test(name)) return `stream name "${name}" contains a character JetStream forbids (whitespace . * > / \\)`;
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(name)) return `stream name ${JSON.stringify(name)} contains control characters`;
  return null;
}

/** KV bucket / object store names: letters, digits, `-` and `_` (nats.js and the server agree). */
export function bucketNameProblem(name: string): string | null {
  if (!/^[-\w]+$/.test(name)) return `bucket name "${name}" may only hold letters, digits, - and _`;
  return null;
}

export function streamKind(name: string): { kind: StreamKind; bucket?: string } {
  if (name.startsWith('KV_') && name.length > 3) return { kind: 'kv', bucket: name.slice(3) };
  if (name.startsWith('OBJ_') && name.length > 4) return { kind: 'object_store', bucket: name.slice(4) };
  return { kind: 'stream' };
}

export function kvStreamName(bucket: string): string {
  return `KV_${bucket}`;
}

/** Build a BackupSpec from the command's options; throws ERR-BKP-0001 (exit 2) on bad input. */
export function backupSpecFrom(input: { streams?: string[]; kv?: string[]; all?: boolean; output?: string; includeConsumers?: boolean }): BackupSpec {
  const streams: string[] = [];
  for (const s of input.streams ?? []) {
    const p = streamNameProblem(s);
    if (p) throw new NbsError('ERR-BKP-0001', `--stream: ${p}`);
    streams.push(s);
  }
  for (const b of input.kv ?? []) {
    const p = bucketNameProblem(b);
    if (p) throw new NbsError('ERR-BKP-0001', `--kv: ${p}`);
    streams.push(kvStreamName(b));
  }
  const all = input.all === true;
  if (all && streams.length > 0) throw new NbsError('ERR-BKP-0001', '--all cannot be combined with --stream or --kv');
  if (!all && streams.length === 0) {
    throw new NbsError('ERR-BKP-0001', 'nothing to back up', { hint: 'pass --stream NAME, --kv BUCKET or --all' });
  }
  if (!input.output) throw new NbsError('ERR-BKP-0001', '--output DIR is required', { hint: 'name a new or empty folder for the backup' });
  return {
    streams: [...new Set(streams)],
    all,
    output: input.output,
    ...(input.includeConsumers === undefined ? {} : { includeConsumers: input.includeConsumers }),
  };
}

/**
 * The folder of `name` inside `root`, or an error when it would land outside `root` (a name that
 * tries to escape). Uses path arithmetic only; the caller also refuses symlinks on disk.
 */
export function streamFolder(root: string, name: string): string {
  const problem = streamNameProblem(name);
  if (problem) throw new NbsError('ERR-BKP-0004', `backup names a stream the restore refuses: ${problem}`);
  const absRoot = resolve(root);
  const folder = resolve(absRoot, name);
  const rel = relative(absRoot, folder);
  if (rel === '' || rel.startsWith('..') || isAbsolute(rel) || rel.includes(sep)) {
    throw new NbsError('ERR-BKP-0004', `stream folder "${name}" would lie outside the backup folder`);
  }
  return folder;
}

/** Problems of a manifest's stream list beyond its JSON Schema: names, duplicates. */
export function manifestProblems(manifest: BackupManifest): string[] {
  const problems: string[] = [];
  if (manifest.format !== MANIFEST_FORMAT) problems.push(`manifest format is "${String(manifest.format)}", expected "${MANIFEST_FORMAT}"`);
  const seen = new Set<string>();
  for (const s of manifest.streams) {
    const p = streamNameProblem(s.name);
    if (p) problems.push(p);
    if (seen.has(s.name)) problems.push(`stream "${s.name}" is listed twice`);
    seen.add(s.name);
  }
  return problems;
}

/** backup.json must describe the stream of its folder, with a state the manifest agrees with. */
export function metaProblems(entry: ManifestStream, meta: unknown): string[] {
  const m = meta as Partial<BackupMeta> | null;
  if (!m || typeof m !== 'object' || !m.config || typeof m.config !== 'object' || !m.state || typeof m.state !== 'object') {
    return [`${entry.name}/backup.json does not hold {"config", "state"}`];
  }
  const problems: string[] = [];
  if (m.config.name !== entry.name) {
    problems.push(`${entry.name}/backup.json is for stream "${String(m.config.name)}", not "${entry.name}" (the stream name cannot change on restore)`);
  }
  if (m.config.storage === 'memory') problems.push(`${entry.name} is a memory stream; memory streams cannot be restored from a snapshot`);
  for (const k of ['messages', 'last_seq'] as const) {
    if (m.state[k] !== entry[k]) problems.push(`${entry.name}: backup.json state.${k} ${String(m.state[k])} differs from the manifest (${entry[k]})`);
  }
  return problems;
}

/** The config sent with the restore request: replicas overridden when asked. */
export function restoreConfig(config: StreamConfigJson, replicas?: number): StreamConfigJson {
  const out: StreamConfigJson = { ...config };
  if (replicas !== undefined) out.num_replicas = replicas;
  return out;
}

/** Does a restore error look like the "stream name already in use" failure seen on R>1 restores? */
export function isNameInUseFailure(description: string): boolean {
  return /already in use|name already/i.test(description);
}

export interface StateCheck {
  ok: boolean;
  problems: string[];
}

/** After a restore: same message count and last sequence as the backup. */
export function checkRestoredState(expected: StreamStateJson, actual: { messages: number; last_seq: number }): StateCheck {
  const problems: string[] = [];
  if (actual.messages !== expected.messages) problems.push(`messages ${actual.messages}, backup has ${expected.messages}`);
  if (actual.last_seq !== expected.last_seq) problems.push(`last sequence ${actual.last_seq}, backup has ${expected.last_seq}`);
  return { ok: problems.length === 0, problems };
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = n / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(v >= 100 ? 0 : 1)} ${units[i]}`;
}
