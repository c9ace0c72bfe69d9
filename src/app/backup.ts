/**
 * Use case `backup`: snapshot streams (KV buckets and object stores are streams too) into a folder
 * in the nats CLI's layout, then write `manifest.json` LAST, only when every stream succeeded.
 * Works with any NATS connection — the CLI's own, or the controller's application-admin one.
 */
import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  BACKUP_FILES,
  MANIFEST_FORMAT,
  streamFolder,
  streamKind,
  type BackupManifest,
  type BackupSpec,
  type ManifestStream,
} from '../domain/backup.js';
import { NbsError } from '../domain/errors.js';
import type { NatsConnection } from '../infra/nats-connection.js';
import { JsApiError, listStreams, snapshotToFile, streamInfo, type StreamInfoJson } from '../infra/snapshot.js';
import { writeFileAtomic } from '../infra/data-folder.js';

export interface BackupProgress {
  /** A stream's snapshot starts; `bytes` is the stream's (uncompressed) size for orientation. */
  streamStart?(name: string, bytes: number): void;
  /** Bytes of this stream's snapshot written so far. */
  bytes?(name: string, written: number): void;
  streamDone?(name: string, written: number): void;
  warn?(message: string): void;
}

export interface BackupRunOptions {
  progress?: BackupProgress;
  signal?: AbortSignal;
  toolVersion?: string;
  /** Folder paths are resolved against this (default process.cwd()). */
  cwd?: string;
  /** Forwarded to the snapshot protocol (tests, benchmarks). */
  chunkSize?: number;
  idleTimeoutMs?: number;
  inboxPrefix?: string;
}

export interface BackupStreamReport extends ManifestStream {
  duration_ms: number;
}

export interface BackupReport {
  schema_version: 1;
  ok: true;
  output: string;
  manifest: string;
  source: BackupManifest['source'];
  streams: BackupStreamReport[];
  skipped: Array<{ name: string; reason: string }>;
  warnings: string[];
  total_bytes: number;
  duration_ms: number;
}

/**
 * The output folder must not exist yet or be empty: a backup is never mixed into or written over
 * another one. Returns whether the folder already existed. Throws ERR-BKP-0006 (exit 2).
 */
export async function checkOutputFolder(dir: string): Promise<{ existed: boolean }> {
  try {
    const st = await lstat(dir);
    if (!st.isDirectory()) throw new NbsError('ERR-BKP-0006', `--output ${dir} exists and is not a folder`);
    const entries = await readdir(dir);
    if (entries.length > 0) {
      const hasManifest = entries.includes(BACKUP_FILES.manifest);
      throw new NbsError(
        'ERR-BKP-0006',
        hasManifest ? `--output ${dir} already holds a backup (manifest.json)` : `--output ${dir} is not empty (${entries.length} entries)`,
      );
    }
    return { existed: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { existed: false };
    throw e;
  }
}

function sha256(data: string | Uint8Array): string {
  return createHash('sha256').update(data).digest('hex');
}

/** Which streams to snapshot: explicit names must exist and be file-backed; --all skips memory streams. */
async function selectStreams(nc: NatsConnection, spec: BackupSpec, warnings: string[]) {
  const selected: StreamInfoJson[] = [];
  const skipped: Array<{ name: string; reason: string }> = [];
  if (spec.all) {
    const all = await listStreams(nc);
    all.sort((a, b) => a.config.name.localeCompare(b.config.name));
    for (const s of all) {
      if (s.config.storage === 'memory') {
        skipped.push({ name: s.config.name, reason: 'memory storage cannot be snapshotted' });
        warnings.push(`skipped stream ${s.config.name}: memory streams cannot be snapshotted`);
      } else selected.push(s);
    }
    return { selected, skipped };
  }
  for (const name of spec.streams) {
    const info = await streamInfo(nc, name);
    if (!info) {
      const kind = streamKind(name);
      const what = kind.kind === 'kv' ? `KV bucket "${kind.bucket}" (stream ${name})` : `stream "${name}"`;
      throw new NbsError('ERR-BKP-0001', `${what} not found`, { hint: 'check the name; --all backs up every stream of the account' });
    }
    if (info.config.storage === 'memory') {
      throw new NbsError('ERR-BKP-0001', `stream "${name}" uses memory storage; memory streams cannot be snapshotted`);
    }
    selected.push(info);
  }
  return { selected, skipped };
}

function wrapServerError(e: unknown, what: string): never {
  if (e instanceof NbsError) throw e;
  const why = e instanceof JsApiError ? e.description : (e as Error).message;
  throw new NbsError('ERR-BKP-0002', `${what}: ${why}`, { cause: e });
}

export async function runBackup(nc: NatsConnection, spec: BackupSpec, opts: BackupRunOptions = {}): Promise<BackupReport> {
  const started = new Date();
  const output = resolve(opts.cwd ?? process.cwd(), spec.output);
  const { existed } = await checkOutputFolder(output);
  const warnings: string[] = [];
  const { selected, skipped } = await selectStreams(nc, spec, warnings).catch((e: unknown) => wrapServerError(e, 'cannot list the streams to back up'));
  for (const w of warnings) opts.progress?.warn?.(w);

  const info = nc.info;
  const source: BackupManifest['source'] = {
    cluster: info?.cluster ?? null,
    server_name: info?.server_name ?? null,
    server_version: info?.version ?? null,
  };

  await mkdir(output, { recursive: true, mode: 0o700 });
  const created: string[] = [];
  const streams: BackupStreamReport[] = [];
  try {
    for (const s of selected) {
      if (opts.signal?.aborted) throw new NbsError('ERR-BKP-0002', 'backup interrupted');
      const name = s.config.name;
      const folder = streamFolder(output, name);
      await mkdir(folder, { mode: 0o700 });
      created.push(folder);
      const t0 = Date.now();
      opts.progress?.streamStart?.(name, s.state.bytes);
      const snap = await snapshotToFile(nc, name, join(folder, BACKUP_FILES.data), {
        includeConsumers: spec.includeConsumers !== false,
        ...(opts.chunkSize ? { chunkSize: opts.chunkSize } : {}),
        ...(opts.idleTimeoutMs ? { idleTimeoutMs: opts.idleTimeoutMs } : {}),
        ...(opts.inboxPrefix ? { inboxPrefix: opts.inboxPrefix } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        onBytes: (n) => opts.progress?.bytes?.(name, n),
      });
      const metaText = JSON.stringify(snap.meta, null, 2);
      await writeFile(join(folder, BACKUP_FILES.meta), metaText, { mode: 0o600, flag: 'wx' });
      const st = snap.meta.state;
      const kind = streamKind(name);
      streams.push({
        name,
        kind: kind.kind,
        ...(kind.bucket ? { bucket: kind.bucket } : {}),
        storage: String(snap.meta.config.storage ?? 'file'),
        replicas: snap.meta.config.num_replicas ?? 1,
        messages: st.messages,
        bytes: st.bytes,
        first_seq: st.first_seq,
        last_seq: st.last_seq,
        consumers: st.consumer_count ?? 0,
        files: {
          'backup.json': { sha256: sha256(metaText), size: Buffer.byteLength(metaText) },
          'stream.tar.s2': { sha256: snap.sha256, size: snap.bytes },
        },
        duration_ms: Date.now() - t0,
      });
      opts.progress?.streamDone?.(name, snap.bytes);
    }
    const manifest: BackupManifest = {
      schema_version: 1,
      format: MANIFEST_FORMAT,
      tool: { name: 'nats-bootstrap', version: opts.toolVersion ?? 'unknown' },
      started_at: started.toISOString(),
      completed_at: new Date().toISOString(),
      source,
      streams: streams.map(({ duration_ms: _d, ...m }) => m),
      skipped,
    };
    // Written last and atomically: its presence means every stream above is complete.
    await writeFileAtomic(join(output, BACKUP_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
  } catch (e) {
    // No manifest: remove what this run wrote so the folder cannot be mistaken for a backup.
    for (const f of created) await rm(f, { recursive: true, force: true }).catch(() => undefined);
    if (!existed) await rmdir(output).catch(() => undefined);
    const err = e instanceof NbsError ? e : new NbsError('ERR-BKP-0002', `backup failed: ${(e as Error).message}`, { cause: e });
    throw new NbsError(err.id, err.message, {
      cause: err.cause ?? e,
      hint: err.hint,
      exit: err.exitCode,
      details: [...err.details, `no manifest was written; the partial files were removed from ${output}`],
      data: { ...(err.data ?? {}), output, completed_streams: streams.map((s) => s.name) },
    });
  }
  return {
    schema_version: 1,
    ok: true,
    output,
    manifest: join(output, BACKUP_FILES.manifest),
    source,
    streams,
    skipped,
    warnings,
    total_bytes: streams.reduce((a, s) => a + s.files['stream.tar.s2'].size, 0),
    duration_ms: Date.now() - started.getTime(),
  };
}
