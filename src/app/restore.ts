/**
 * Use case `restore`: check a backup folder completely (manifest, names, checksums of every file to
 * be restored) before anything is created, refuse streams that exist unless told to replace them,
 * restore through the snapshot protocol, then compare message count and last sequence with the
 * backup. R>1 restores that fail with "stream name already in use" fall back to R1 + scale up.
 */
import { createHash } from 'node:crypto';
import { lstat, open, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  BACKUP_FILES,
  checkRestoredState,
  isNameInUseFailure,
  manifestProblems,
  metaProblems,
  restoreConfig,
  streamFolder,
  streamKind,
  type BackupManifest,
  type BackupMeta,
  type ManifestStream,
  type StreamKind,
} from '../domain/backup.js';
import { NbsError } from '../domain/errors.js';
import { validate } from '../infra/json-schema.js';
import type { NatsConnection } from '../infra/nats-connection.js';
import { deleteStream, jsApi, JsApiError, restoreFromFile, streamInfo, updateStream, type StreamInfoJson } from '../infra/snapshot.js';

export interface ValidatedStream {
  entry: ManifestStream;
  folder: string;
  dataFile: string;
  meta: BackupMeta;
}

export interface ValidatedBackup {
  dir: string;
  manifest: BackupManifest;
  streams: ValidatedStream[];
}

const MAX_META_BYTES = 16 * 1024 * 1024;

/**
 * SHA-256 of a file: two reused 4 MiB buffers, the next read in flight while the current one is
 * hashed (no per-chunk allocation; ~20% faster than a read stream on a 128 MiB archive).
 */
async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  const size = 4 * 1024 * 1024;
  let current = Buffer.allocUnsafe(size);
  let spare = Buffer.allocUnsafe(size);
  const fh = await open(path, 'r');
  try {
    let next = fh.read(current, 0, size, null);
    for (;;) {
      const { bytesRead } = await next;
      if (bytesRead === 0) break;
      [current, spare] = [spare, current];
      next = fh.read(current, 0, size, null);
      hash.update(spare.subarray(0, bytesRead));
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/**
 * A regular file (not a symlink) of the size and SHA-256 the manifest names; returns the problems.
 * `read`: the file is read whole and its bytes returned, so what is parsed afterwards is exactly
 * what was checked (backup.json).
 */
async function checkFile(path: string, label: string, expected: { sha256: string; size: number }, read = false): Promise<{ problems: string[]; bytes?: Buffer }> {
  let st;
  try {
    st = await lstat(path);
  } catch {
    return { problems: [`${label} is missing`] };
  }
  if (st.isSymbolicLink()) return { problems: [`${label} is a symbolic link; the restore only reads regular files`] };
  if (!st.isFile()) return { problems: [`${label} is not a regular file`] };
  if (st.size !== expected.size) return { problems: [`${label} has ${st.size} bytes, the manifest says ${expected.size}`] };
  const bytes = read ? await readFile(path) : undefined;
  const actual = bytes ? createHash('sha256').update(bytes).digest('hex') : await fileSha256(path);
  if (actual !== expected.sha256) return { problems: [`${label} has SHA-256 ${actual.slice(0, 16)}…, the manifest says ${expected.sha256.slice(0, 16)}…`] };
  return { problems: [], ...(bytes ? { bytes } : {}) };
}

function integrity(message: string, problems: string[]): NbsError {
  return new NbsError('ERR-BKP-0004', message, { details: problems, data: { problems } });
}

/**
 * Everything a restore checks without a server: throws ERR-BKP-0001 (bad --input / --stream) or
 * ERR-BKP-0004 (manifest, names, checksums, backup.json) — exit 2, nothing changed.
 */
export async function inspectBackup(input: string, opts: { stream?: string; cwd?: string } = {}): Promise<ValidatedBackup> {
  const dir = resolve(opts.cwd ?? process.cwd(), input);
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) throw new NbsError('ERR-BKP-0001', `--input ${dir} is not a folder`);
  } catch (e) {
    if (e instanceof NbsError) throw e;
    throw new NbsError('ERR-BKP-0001', `--input ${dir} does not exist`);
  }
  const manifestPath = join(dir, BACKUP_FILES.manifest);
  let manifestText: string;
  try {
    const st = await lstat(manifestPath);
    if (!st.isFile()) throw new Error('not a regular file');
    if (st.size > MAX_META_BYTES) throw new Error(`too large (${st.size} bytes)`);
    manifestText = await readFile(manifestPath, 'utf8');
  } catch (e) {
    throw new NbsError('ERR-BKP-0004', `${manifestPath} is missing or unreadable (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, {
      hint: 'a complete backup has a manifest.json, written last; an interrupted backup has none — use another copy',
    });
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(manifestText) as BackupManifest;
  } catch (e) {
    throw integrity(`${manifestPath} is not valid JSON: ${(e as Error).message}`, []);
  }
  const schemaProblems = validate('backup-manifest.schema.json', manifest);
  if (schemaProblems.length > 0) throw integrity(`${manifestPath} does not match schemas/backup-manifest.schema.json`, schemaProblems);
  const nameProblems = manifestProblems(manifest);
  if (nameProblems.length > 0) throw integrity(`${manifestPath} lists streams the restore refuses`, nameProblems);

  let entries = manifest.streams;
  if (opts.stream !== undefined) {
    entries = entries.filter((s) => s.name === opts.stream);
    if (entries.length === 0) {
      throw new NbsError('ERR-BKP-0001', `stream "${opts.stream}" is not in this backup`, {
        hint: `the backup holds: ${manifest.streams.map((s) => s.name).join(', ') || '(no streams)'}`,
      });
    }
  }

  const problems: string[] = [];
  const streams: ValidatedStream[] = [];
  for (const entry of entries) {
    const folder = streamFolder(dir, entry.name);
    try {
      const st = await lstat(folder);
      if (st.isSymbolicLink() || !st.isDirectory()) {
        problems.push(`${entry.name}/ is not a plain folder${st.isSymbolicLink() ? ' (symbolic link)' : ''}`);
        continue;
      }
    } catch {
      problems.push(`${entry.name}/ is missing`);
      continue;
    }
    const metaFile = join(folder, BACKUP_FILES.meta);
    const dataFile = join(folder, BACKUP_FILES.data);
    const metaCheck = await checkFile(metaFile, `${entry.name}/${BACKUP_FILES.meta}`, entry.files['backup.json'], true);
    const dataCheck = await checkFile(dataFile, `${entry.name}/${BACKUP_FILES.data}`, entry.files['stream.tar.s2']);
    const fileProblems = [...metaCheck.problems, ...dataCheck.problems];
    if (fileProblems.length > 0 || !metaCheck.bytes) {
      problems.push(...fileProblems);
      continue;
    }
    let meta: unknown;
    try {
      meta = JSON.parse(metaCheck.bytes.toString('utf8'));
    } catch (e) {
      problems.push(`${entry.name}/${BACKUP_FILES.meta} is not valid JSON: ${(e as Error).message}`);
      continue;
    }
    const mp = metaProblems(entry, meta);
    if (mp.length > 0) {
      problems.push(...mp);
      continue;
    }
    streams.push({ entry, folder, dataFile, meta: meta as BackupMeta });
  }
  if (problems.length > 0) {
    throw integrity(`backup ${dir} failed its checks (${problems.length} problem${problems.length === 1 ? '' : 's'}); nothing was restored`, problems);
  }
  return { dir, manifest, streams };
}

export interface RestoreProgress {
  /** May return a promise: the restore of that stream waits for it. */
  streamStart?(name: string, totalBytes: number): void | Promise<void>;
  bytes?(name: string, sent: number): void;
  streamDone?(name: string): void;
  warn?(message: string): void;
  info?(message: string): void;
}

export interface RestoreRunOptions {
  replace?: boolean;
  replicas?: number;
  progress?: RestoreProgress;
  signal?: AbortSignal;
  /** Forwarded to the restore protocol (tests, benchmarks). */
  chunkSize?: number;
}

export interface RestoreStreamReport {
  name: string;
  kind: StreamKind;
  bucket?: string;
  status: 'ok' | 'failed';
  expected: { messages: number; last_seq: number };
  actual: { messages: number; last_seq: number } | null;
  /** What the existing stream held when --replace deleted it (the data that was lost). */
  replaced: { messages: number; bytes: number; last_seq: number } | null;
  replicas: number;
  /** Steps beyond a plain restore (R1 fallback and scale-up, placement dropped, …). */
  actions: string[];
  problems: string[];
  bytes_sent: number;
  duration_ms: number;
}

export interface RestoreReport {
  schema_version: 1;
  ok: boolean;
  input: string;
  target: { cluster: string | null; server_name: string | null; server_version: string | null };
  streams: RestoreStreamReport[];
  duration_ms: number;
}

function describe(e: unknown): string {
  if (e instanceof JsApiError) return e.description;
  return (e as Error).message;
}

/** Wait (bounded) until the stream reports `replicas - 1` current followers; returns whether it did. */
async function waitForReplicas(nc: NatsConnection, name: string, replicas: number, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const info = await streamInfo(nc, name).catch(() => null);
    const peers = info?.cluster?.replicas ?? [];
    if (info && peers.length >= replicas - 1 && peers.every((p) => p.current && !p.offline)) return true;
    await new Promise((r) => setTimeout(r, 250));
  }
  return false;
}

/**
 * Wait (bounded) until the stream's leader answers a message read; any answer counts, also
 * "no message found" — only silence means no leader yet (seen for a while after a scale-up).
 */
async function waitReadable(nc: NatsConnection, name: string, seq: number, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      await jsApi(nc, `$JS.API.STREAM.MSG.GET.${name}`, { seq: Math.max(seq, 1) }, 2000);
      return true;
    } catch (e) {
      if (e instanceof JsApiError) return true;
    }
  }
  return false;
}

export async function runRestore(nc: NatsConnection, backup: ValidatedBackup, opts: RestoreRunOptions = {}): Promise<RestoreReport> {
  const started = Date.now();
  // 1. Every target checked before anything is created or deleted.
  const existing = new Map<string, StreamInfoJson>();
  for (const s of backup.streams) {
    let info: StreamInfoJson | null;
    try {
      info = await streamInfo(nc, s.entry.name);
    } catch (e) {
      throw new NbsError('ERR-BKP-0005', `cannot look up stream "${s.entry.name}" on the target: ${describe(e)}`, { cause: e });
    }
    if (info) existing.set(s.entry.name, info);
  }
  if (existing.size > 0 && !opts.replace) {
    const details = [...existing.values()].map((i) => `${i.config.name} exists: ${i.state.messages} messages, ${i.state.bytes} bytes, last sequence ${i.state.last_seq}`);
    throw new NbsError('ERR-BKP-0003', `${existing.size} stream${existing.size === 1 ? '' : 's'} of the backup already exist${existing.size === 1 ? 's' : ''} on the target; nothing was restored`, {
      details,
      data: { existing: [...existing.values()].map((i) => ({ name: i.config.name, messages: i.state.messages, bytes: i.state.bytes })) },
    });
  }

  const info = nc.info;
  const target = { cluster: info?.cluster ?? null, server_name: info?.server_name ?? null, server_version: info?.version ?? null };
  const reports: RestoreStreamReport[] = [];
  for (const s of backup.streams) {
    const name = s.entry.name;
    const t0 = Date.now();
    const kind = streamKind(name);
    const desired = opts.replicas ?? s.meta.config.num_replicas ?? 1;
    const report: RestoreStreamReport = {
      name,
      kind: kind.kind,
      ...(kind.bucket ? { bucket: kind.bucket } : {}),
      status: 'failed',
      expected: { messages: s.meta.state.messages, last_seq: s.meta.state.last_seq },
      actual: null,
      replaced: null,
      replicas: desired,
      actions: [],
      problems: [],
      bytes_sent: 0,
      duration_ms: 0,
    };
    reports.push(report);
    try {
      if (opts.signal?.aborted) throw new NbsError('ERR-BKP-0005', 'restore interrupted');
      const old = existing.get(name);
      if (old) {
        opts.progress?.warn?.(`replacing stream ${name}: its ${old.state.messages} messages (${old.state.bytes} bytes, last sequence ${old.state.last_seq}) are lost`);
        await deleteStream(nc, name);
        report.replaced = { messages: old.state.messages, bytes: old.state.bytes, last_seq: old.state.last_seq };
      }
      const config = restoreConfig(s.meta.config, desired);
      if (opts.replicas !== undefined && opts.replicas !== s.meta.config.num_replicas) {
        report.actions.push(`replicas ${s.meta.config.num_replicas ?? 1} → ${opts.replicas}`);
      }
      const placed = config.placement?.cluster;
      if (placed && target.cluster && placed !== target.cluster) {
        config.placement = { ...config.placement };
        delete config.placement.cluster;
        report.actions.push(`placement cluster "${placed}" dropped (the target cluster is "${target.cluster}")`);
      }
      const send = async (cfg: typeof config) => {
        await opts.progress?.streamStart?.(name, s.entry.files['stream.tar.s2'].size);
        try {
          return await restoreFromFile(nc, { config: cfg, state: s.meta.state }, s.dataFile, {
            ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
            ...(opts.signal ? { signal: opts.signal } : {}),
            onBytes: (n) => {
              report.bytes_sent = n;
              opts.progress?.bytes?.(name, n);
            },
          });
        } finally {
          opts.progress?.streamDone?.(name);
        }
      };
      try {
        await send(config);
      } catch (e) {
        if (!(e instanceof JsApiError) || desired <= 1 || !isNameInUseFailure(e.description)) throw e;
        // Known failure of R>1 restores on some server versions: restore at R1, then scale up.
        opts.progress?.warn?.(`restore of ${name} at R${desired} failed (${e.description}); restoring at R1 and scaling up`);
        // Remove only what this restore left behind (empty, or already holding the backup's
        // data); a stream someone else created meanwhile is left alone.
        const leftover = await streamInfo(nc, name);
        if (leftover) {
          if (leftover.state.messages !== 0 && leftover.state.last_seq !== s.meta.state.last_seq) {
            throw new NbsError('ERR-BKP-0005', `stream ${name} appeared during the restore with ${leftover.state.messages} messages; it was left untouched`);
          }
          await deleteStream(nc, name);
        }
        const r1 = await send({ ...config, num_replicas: 1 });
        await updateStream(nc, { ...r1.config, num_replicas: desired });
        report.actions.push(`R${desired} restore failed ("${e.description}"): restored at R1, then scaled to R${desired}`);
      }
      if (desired > 1 && !(await waitForReplicas(nc, name, desired))) {
        report.actions.push(`followers not current yet after 30 s; check with: nats stream info ${name}`);
      }
      if (!(await waitReadable(nc, name, s.meta.state.last_seq))) {
        report.problems.push('the stream did not answer a message read within 30 s (no leader?)');
      }
      const after = await streamInfo(nc, name);
      if (!after) throw new NbsError('ERR-BKP-0005', `stream ${name} is missing after the restore`);
      report.actual = { messages: after.state.messages, last_seq: after.state.last_seq };
      const check = checkRestoredState(s.meta.state, after.state);
      report.problems.push(...check.problems);
      report.status = check.ok && report.problems.length === 0 ? 'ok' : 'failed';
    } catch (e) {
      const why = describe(e);
      report.problems.push(why);
      if (desired > 1 && /insufficient resources|no suitable peers/i.test(why)) {
        report.problems.push(`the target may have fewer than ${desired} JetStream servers: try --replicas 1`);
      }
      report.status = 'failed';
    }
    report.duration_ms = Date.now() - t0;
  }
  return {
    schema_version: 1,
    ok: reports.every((r) => r.status === 'ok'),
    input: backup.dir,
    target,
    streams: reports,
    duration_ms: Date.now() - started,
  };
}
