/**
 * The audit bucket (DESIGN §5): a KV bucket in the CONTROL account, key = request_id, value = the
 * AuditRecord (schemas/audit-record.schema.json). Every phase is written with compare-and-set on
 * the revision, so two controllers can never both move one request forward, and a controller
 * restarted after SIGKILL finds how far a request got.
 */
import type { KV } from '@nats-io/kv';
import type { AuditRecord } from '../domain/control-plane.js';
import { AUDIT_BUCKET } from '../domain/control-plane.js';
import type { NatsConnection } from './nats-connection.js';

export interface StoredAudit {
  record: AuditRecord;
  revision: number;
}

export class AuditConflict extends Error {
  constructor(readonly requestId: string) {
    super(`audit record ${requestId} was changed concurrently`);
    this.name = 'AuditConflict';
  }
}

export class AuditStore {
  private constructor(
    private readonly kv: KV,
    readonly bucket: string,
    readonly replicas: number,
  ) {}

  /** Create or bind the bucket (history keeps each phase of a request). */
  static async open(nc: NatsConnection, opts: { replicas: number; bucket?: string }): Promise<AuditStore> {
    const { Kvm } = await import('@nats-io/kv');
    const bucket = opts.bucket ?? AUDIT_BUCKET;
    const kvm = new Kvm(nc);
    const kv = await kvm.create(bucket, { replicas: opts.replicas, history: 16, description: 'nats-bootstrap controller audit: key = request_id' });
    const st = await kv.status();
    return new AuditStore(kv, bucket, st.replicas);
  }

  async get(requestId: string): Promise<StoredAudit | null> {
    const e = await retryOnTimeout(() => this.kv.get(requestId));
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    return { record: e.json<AuditRecord>(), revision: e.revision };
  }

  /** First write of a request: fails with AuditConflict if the key already exists. */
  async create(record: AuditRecord): Promise<StoredAudit> {
    return this.write(record, (value) => this.kv.create(record.request_id, value));
  }

  /** Compare-and-set on the revision read before. */
  async update(record: AuditRecord, revision: number): Promise<StoredAudit> {
    return this.write(record, (value) => this.kv.update(record.request_id, value, revision));
  }

  /** One conditional write (create or compare-and-set); a lost race is an AuditConflict. */
  private async write(record: AuditRecord, put: (value: string) => Promise<number>): Promise<StoredAudit> {
    const value = JSON.stringify(record);
    let timedOut = false;
    try {
      const revision = await retryOnTimeout(() => put(value), () => (timedOut = true));
      return { record, revision };
    } catch (e) {
      if (isWrongLastSequence(e)) {
        // A timed-out attempt may have been stored after all: then it is ours.
        if (timedOut) {
          const cur = await this.kv.get(record.request_id);
          if (cur && cur.string() === value) return { record, revision: cur.revision };
        }
        throw new AuditConflict(record.request_id);
      }
      throw e;
    }
  }

  /** All records (tests, status): newest value of every key. */
  async list(): Promise<AuditRecord[]> {
    const names = await retryOnTimeout(async () => {
      const found: string[] = [];
      for await (const k of await this.kv.keys()) found.push(k);
      return found;
    });
    const stored = await Promise.all(names.map((k) => this.get(k)));
    return stored.filter((s): s is StoredAudit => s !== null).map((s) => s.record);
  }
}

/**
 * JetStream answers time out while the bucket's stream elects a new leader (e.g. right after a
 * server went down): retry for a while instead of failing the request.
 */
async function retryOnTimeout<T>(op: () => Promise<T>, onTimeout?: () => void, attempts = 4): Promise<T> {
  for (let i = 1; ; i++) {
    try {
      return await op();
    } catch (e) {
      const timeout = /timeout|timed out|no responders/i.test(e instanceof Error ? `${e.name} ${e.message}` : String(e));
      if (!timeout || i >= attempts) throw e;
      onTimeout?.();
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

function isWrongLastSequence(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /wrong last sequence|key exists/i.test(msg) || (e as { api_error?: { err_code?: number } }).api_error?.err_code === 10071;
}
