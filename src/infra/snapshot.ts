/**
 * The JetStream snapshot / restore protocol over a NATS connection, streamed to and from disk
 * (DESIGN §6, §9 "Snapshot"). Memory use does not grow with the stream: snapshot chunks are
 * written synchronously inside the subscription callback before they are acked, so the server's
 * window (8 MiB asked) bounds what is in flight; restore reads the file 512 KiB at a time with a
 * small, fixed number of chunks (4) awaiting the server's reply.
 *
 * Restore chunks (measured): 512 KiB x 4 in flight instead of 256 KiB x 8 makes the upload ~15%
 * faster with the same 2 MiB in flight, so a slow link meets the per-chunk reply timeout (30 s)
 * no sooner than before; the server's 5 s stall timer needs a chunk per 5 s (~0.1 MiB/s).
 *
 * Snapshot chunk size (measured on 2.9.10, bench/backup.mjs): 1 MiB chunks instead of 128 KiB
 * cut the client's per-chunk work (callbacks, acks, parser buffers, write calls) and make a
 * 256 MiB backup 10–15% faster. But servers before the slot-based flow control (nats-server PR
 * #7828, shipped with `window_size` in 2.12.5) count unacked bytes against a fixed window and,
 * past it, keep sending (older source: a chunk per 10 ms without acks); a client writing slower than
 * that piles the rest up in the server until it is cut off as a slow consumer (64 MiB pending).
 * On 2.9.10 a client writing 20 MiB/s was cut off after 44 MiB with 1 MiB chunks and finished
 * with 128 KiB chunks (also at 8 MiB/s). So 1 MiB (the server's maximum: it clamps chunk_size
 * to 1 KiB–1 MiB, window_size to 1 KiB–32 MiB, and waits 5 s for an ack) only from 2.12.5 on;
 * older servers keep 128 KiB: a slow backup disk must not make a backup fail.
 *
 * Snapshot: `$JS.API.STREAM.SNAPSHOT.<s>` {deliver_subject, no_consumers, chunk_size, window_size}
 *   → {config, state}; chunks arrive on deliver_subject with a reply subject
 *   `$JS.SNAPSHOT.ACK.<s>.<id>.<len>.<idx>` that we ack with an empty publish; an empty message
 *   ends it (no header on 2.9.x, a `204` status header on 2.10+; `408`/`500` are errors).
 * Restore: `$JS.API.STREAM.RESTORE.<s>` {config, state} → {deliver_subject}; each chunk is sent as a
 *   request (the server replies empty), then an empty request whose reply is a stream-create
 *   response. The server marks a restore stalled after 5 s without a chunk.
 */
import { createHash } from 'node:crypto';
import { closeSync, openSync, writeSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInbox, type Msg } from '@nats-io/transport-node';
import { versionAtLeast } from '../domain/binary-resolution.js';
import { NbsError } from '../domain/errors.js';
import type { BackupMeta, StreamConfigJson, StreamStateJson } from '../domain/backup.js';
import type { NatsConnection } from './nats-connection.js';

const API = '$JS.API';

/** Error answer of the JetStream API: `{error: {code, err_code, description}}`. */
export class JsApiError extends Error {
  constructor(
    readonly subject: string,
    readonly code: number,
    readonly errCode: number | undefined,
    readonly description: string,
  ) {
    super(`${description} (${code}${errCode ? `/${errCode}` : ''})`);
    this.name = 'JsApiError';
  }
}

interface ApiReply {
  error?: { code: number; err_code?: number; description: string };
  [key: string]: unknown;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One JetStream API request with a JSON body; throws JsApiError on an `{error}` answer. */
export async function jsApi<T>(nc: NatsConnection, subject: string, body: unknown, timeoutMs = 10_000): Promise<T> {
  const payload = body === undefined ? new Uint8Array(0) : encoder.encode(JSON.stringify(body));
  const msg = await nc.request(subject, payload, { timeout: timeoutMs });
  let reply: ApiReply;
  try {
    reply = JSON.parse(decoder.decode(msg.data)) as ApiReply;
  } catch {
    throw new JsApiError(subject, 500, undefined, `unreadable reply to ${subject}: ${decoder.decode(msg.data).slice(0, 200)}`);
  }
  if (reply.error) throw new JsApiError(subject, reply.error.code, reply.error.err_code, reply.error.description);
  return reply as T;
}

export interface StreamInfoJson {
  config: StreamConfigJson;
  state: StreamStateJson;
  cluster?: { name?: string; leader?: string; replicas?: Array<{ name: string; current: boolean; offline?: boolean }> };
}

/** Stream info, or null when the stream does not exist. */
export async function streamInfo(nc: NatsConnection, name: string, timeoutMs = 10_000): Promise<StreamInfoJson | null> {
  try {
    return await jsApi<StreamInfoJson>(nc, `${API}.STREAM.INFO.${name}`, undefined, timeoutMs);
  } catch (e) {
    if (e instanceof JsApiError && e.code === 404) return null;
    throw e;
  }
}

/** Every stream of the account, with info (paged `$JS.API.STREAM.LIST`). */
export async function listStreams(nc: NatsConnection, timeoutMs = 10_000): Promise<StreamInfoJson[]> {
  const out: StreamInfoJson[] = [];
  for (;;) {
    const page = await jsApi<{ total: number; streams: StreamInfoJson[] | null; missing?: string[] }>(
      nc,
      `${API}.STREAM.LIST`,
      { offset: out.length },
      timeoutMs,
    );
    const streams = page.streams ?? [];
    out.push(...streams);
    if (page.missing && page.missing.length > 0) {
      throw new JsApiError(`${API}.STREAM.LIST`, 503, undefined, `streams did not answer the listing: ${page.missing.join(', ')}`);
    }
    if (streams.length === 0 || out.length >= page.total) return out;
  }
}

export async function deleteStream(nc: NatsConnection, name: string, timeoutMs = 30_000): Promise<void> {
  await jsApi(nc, `${API}.STREAM.DELETE.${name}`, undefined, timeoutMs);
}

export async function updateStream(nc: NatsConnection, config: StreamConfigJson, timeoutMs = 30_000): Promise<StreamInfoJson> {
  return jsApi<StreamInfoJson>(nc, `${API}.STREAM.UPDATE.${config.name}`, config, timeoutMs);
}

export interface SnapshotOptions {
  /** Chunk size asked of the server (default 1 MiB from 2.12.5 on, 128 KiB before; see top). */
  chunkSize?: number;
  /** Flow-control window asked of the server (2.12.5+ honour it; default 8 MiB, the server's). */
  windowSize?: number;
  /** Include consumers (default true). */
  includeConsumers?: boolean;
  /** Fail when no chunk arrived for this long (default 20 s). */
  idleTimeoutMs?: number;
  /** Timeout of the snapshot request itself (default 30 s). */
  requestTimeoutMs?: number;
  /** Called after each chunk is on disk, with the total bytes written so far. */
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
  inboxPrefix?: string;
}

/** 1 MiB where the server gates chunks by ack slots (2.12.5+), 128 KiB otherwise (see top). */
export function defaultSnapshotChunkSize(serverVersion: string | undefined): number {
  return versionAtLeast(serverVersion ?? null, '2.12.5') ? 1024 * 1024 : 128 * 1024;
}

export interface SnapshotResult {
  meta: BackupMeta;
  /** Bytes written to the data file (= the server's snapshot bytes). */
  bytes: number;
  sha256: string;
}

/**
 * Snapshot `stream` into `dataFile` (created; must not exist). Resolves after the server's end
 * marker; throws NbsError ERR-BKP-0002 on any failure (the caller removes the partial file).
 */
export async function snapshotToFile(nc: NatsConnection, stream: string, dataFile: string, opts: SnapshotOptions = {}): Promise<SnapshotResult> {
  const fd = openSync(dataFile, 'wx', 0o600);
  const hash = createHash('sha256');
  let bytes = 0;
  let finished = false;
  let settle: { resolve: () => void; reject: (e: Error) => void } | undefined;
  const ended = new Promise<void>((resolve, reject) => (settle = { resolve, reject }));
  ended.catch(() => undefined);
  const fail = (message: string, cause?: unknown) => {
    if (finished) return;
    finished = true;
    settle?.reject(
      new NbsError('ERR-BKP-0002', `snapshot of stream "${stream}" failed after ${bytes} bytes: ${message}`, cause === undefined ? {} : { cause }),
    );
  };
  const succeed = () => {
    if (finished) return;
    finished = true;
    settle?.resolve();
  };

  const idleMs = opts.idleTimeoutMs ?? 20_000;
  let idle: NodeJS.Timeout | undefined;
  const armIdle = () => {
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => fail(`no data from the server for ${Math.round(idleMs / 1000)} s`), idleMs);
  };

  const inbox = createInbox(opts.inboxPrefix);
  let sub: ReturnType<NatsConnection['subscribe']>;
  try {
    sub = nc.subscribe(inbox, {
      callback: (err: Error | null, msg: Msg) => {
        if (finished) return;
        if (err) return fail(err.message, err);
        try {
          onChunk(msg);
        } catch (e) {
          fail((e as Error).message, e);
        }
      },
    });
  } catch (e) {
    closeSync(fd);
    throw new NbsError('ERR-BKP-0002', `snapshot of stream "${stream}" failed: cannot subscribe: ${(e as Error).message}`, { cause: e });
  }
  const onChunk = (msg: Msg) => {
    if (msg.data.length === 0) {
      const code = msg.headers?.code ?? 0;
      // 2.9.x: a bare empty message; 2.10+: status 204. Anything else (408 no flow response, 500) is an error.
      if (code === 0 || code === 204) return succeed();
      return fail(`the server ended the snapshot with status ${code}${msg.headers?.description ? ` ${msg.headers.description}` : ''}`);
    }
    let off = 0;
    while (off < msg.data.length) off += writeSync(fd, msg.data, off, msg.data.length - off);
    hash.update(msg.data);
    bytes += msg.data.length;
    if (msg.reply) msg.respond();
    armIdle();
    opts.onBytes?.(bytes);
  };

  const onAbort = () => fail('interrupted');
  opts.signal?.addEventListener('abort', onAbort, { once: true });
  if (opts.signal?.aborted) onAbort();

  // A disconnect ends the snapshot: the server-side transfer does not survive it.
  const statusIter = nc.status() as AsyncIterable<{ type: string }> & { stop?: () => void };
  void (async () => {
    for await (const s of statusIter) {
      if (s.type === 'disconnect' || s.type === 'close') fail('the connection to the server was lost');
    }
  })().catch(() => undefined);
  void nc.closed().then(() => fail('the connection to the server was closed'));

  let meta: BackupMeta | undefined;
  try {
    // Every wait races the end of the transfer: a closed connection does not settle flush().
    await Promise.race([nc.flush(), ended]);
    const request = jsApi<{ config: StreamConfigJson; state: StreamStateJson }>(
      nc,
      `${API}.STREAM.SNAPSHOT.${stream}`,
      {
        deliver_subject: inbox,
        no_consumers: opts.includeConsumers === false,
        chunk_size: opts.chunkSize ?? defaultSnapshotChunkSize(nc.info?.version),
        window_size: opts.windowSize ?? 8 * 1024 * 1024,
      },
      opts.requestTimeoutMs ?? 30_000,
    ).catch((e: unknown) => {
      const why = e instanceof JsApiError ? e.description : (e as Error).message;
      fail(`the server refused the snapshot: ${why}`, e);
      return undefined;
    });
    // The reply and the chunks travel through different server queues: a small snapshot can be
    // complete (end marker received) before its reply arrives, so a finished transfer still waits.
    const reply = await Promise.race([request, ended.then(() => request)]);
    if (reply) {
      meta = { config: reply.config, state: reply.state };
      armIdle();
    }
    await ended;
  } finally {
    if (idle) clearTimeout(idle);
    opts.signal?.removeEventListener('abort', onAbort);
    statusIter.stop?.();
    try {
      sub.unsubscribe();
    } catch {
      /* connection already closed */
    }
    closeSync(fd);
  }
  if (!meta) throw new NbsError('ERR-BKP-0002', `snapshot of stream "${stream}" failed: no snapshot reply`);
  return { meta, bytes, sha256: hash.digest('hex') };
}

export interface RestoreOptions {
  /** Bytes per chunk (default 512 KiB, capped at the server's max_payload). */
  chunkSize?: number;
  /** Chunks awaiting the server's reply at once (default 4). Order is kept by the connection. */
  inFlight?: number;
  /** Timeout for each chunk's reply (default 30 s). */
  chunkTimeoutMs?: number;
  /** Timeout for the final reply, while the server rebuilds the stream (default 10 min). */
  finalTimeoutMs?: number;
  onBytes?: (bytes: number) => void;
  signal?: AbortSignal;
}

export interface RestoreResult {
  config: StreamConfigJson;
  state: StreamStateJson;
  bytes: number;
}

/**
 * Restore a stream from `dataFile` with `meta` (config possibly adjusted by the caller).
 * Throws JsApiError when the server refuses or fails the restore, NbsError ERR-BKP-0005 on
 * transport failures.
 */
export async function restoreFromFile(nc: NatsConnection, meta: BackupMeta, dataFile: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const name = meta.config.name;
  const start = await jsApi<{ deliver_subject: string }>(nc, `${API}.STREAM.RESTORE.${name}`, { config: meta.config, state: meta.state }, 30_000);
  const deliver = start.deliver_subject;
  if (!deliver) throw new NbsError('ERR-BKP-0005', `restore of "${name}": the server gave no deliver subject`);
  // Never more than the server's max_payload (default 1 MiB; chunks carry no headers).
  const maxPayload = nc.info?.max_payload ?? 1024 * 1024;
  const chunkSize = Math.max(1024, Math.min(opts.chunkSize ?? 512 * 1024, maxPayload));
  const inFlight = Math.max(1, opts.inFlight ?? 4);
  const chunkTimeout = opts.chunkTimeoutMs ?? 30_000;
  const fh = await open(dataFile, 'r');
  let bytes = 0;
  const pending: Array<Promise<Msg>> = [];
  const checkChunkReply = (m: Msg) => {
    if (m.data.length > 0) {
      const text = decoder.decode(m.data);
      throw new NbsError('ERR-BKP-0005', `restore of "${name}" failed while sending data: ${text.replace(/^-ERR\s*/, '').replace(/'/g, '')}`);
    }
    if (m.headers?.hasError) throw new NbsError('ERR-BKP-0005', `restore of "${name}" failed while sending data: status ${m.headers.code} ${m.headers.description}`);
  };
  try {
    let position = 0;
    for (;;) {
      if (opts.signal?.aborted) throw new NbsError('ERR-BKP-0005', `restore of "${name}" interrupted after ${bytes} bytes`);
      const buf = new Uint8Array(chunkSize);
      const { bytesRead } = await fh.read(buf, 0, chunkSize, position);
      if (bytesRead === 0) break;
      position += bytesRead;
      const chunk = bytesRead === chunkSize ? buf : buf.subarray(0, bytesRead);
      const p = nc.request(deliver, chunk, { timeout: chunkTimeout });
      p.catch(() => undefined);
      pending.push(p);
      if (pending.length >= inFlight) {
        checkChunkReply(await (pending.shift() as Promise<Msg>));
      }
      bytes += bytesRead;
      opts.onBytes?.(bytes);
    }
    while (pending.length > 0) checkChunkReply(await (pending.shift() as Promise<Msg>));
  } catch (e) {
    if (e instanceof NbsError) throw e;
    throw new NbsError('ERR-BKP-0005', `restore of "${name}" failed after ${bytes} bytes: ${(e as Error).message}`, { cause: e });
  } finally {
    await fh.close();
  }
  let final: Msg;
  try {
    final = await nc.request(deliver, new Uint8Array(0), { timeout: opts.finalTimeoutMs ?? 600_000 });
  } catch (e) {
    throw new NbsError('ERR-BKP-0005', `restore of "${name}": no final answer from the server: ${(e as Error).message}`, { cause: e });
  }
  let reply: ApiReply & { config?: StreamConfigJson; state?: StreamStateJson };
  try {
    reply = JSON.parse(decoder.decode(final.data)) as typeof reply;
  } catch {
    throw new NbsError('ERR-BKP-0005', `restore of "${name}": unreadable final answer: ${decoder.decode(final.data).slice(0, 200)}`);
  }
  if (reply.error) throw new JsApiError(`${API}.STREAM.RESTORE.${name}`, reply.error.code, reply.error.err_code, reply.error.description);
  if (!reply.config || !reply.state) throw new NbsError('ERR-BKP-0005', `restore of "${name}": the final answer holds no stream info`);
  return { config: reply.config, state: reply.state, bytes };
}
