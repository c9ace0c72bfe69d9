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
    const e = await this.kv.get(requestId);
    if (!e || e.operation !== 'PUT' || e.length === 0) return null;
    return { record: e.json<AuditRecord>(), revision: e.revision };
  }

  /** First write of a request: fails with AuditConflict if the key already exists. */
  async create(record: AuditRecord): Promise<StoredAudit> {
    try {
      const revision = await this.kv.create(record.request_id, JSON.stringify(record));
      return { record, revision };
    } catch (e) {
      if (isWrongLastSequence(e)) throw new AuditConflict(record.request_id);
      throw e;
    }
  }

  /** Compare-and-set on the revision read before. */
  async update(record: AuditRecord, revision: number): Promise<StoredAudit> {
    try {
      const next = await this.kv.update(record.request_id, JSON.stringify(record), revision);
      return { record, revision: next };
    } catch (e) {
      if (isWrongLastSequence(e)) throw new AuditConflict(record.request_id);
      throw e;
    }
  }

  /** All records (tests, status): newest value of every key. */
  async list(): Promise<AuditRecord[]> {
    const out: AuditRecord[] = [];
    const keys = await this.kv.keys();
    for await (const k of keys) {
      const s = await this.get(k);
      if (s) out.push(s.record);
    }
    return out;
  }
}

function isWrongLastSequence(e: unknown): boolean {
  const msg = e instanceof Error ? e.message : String(e);
  return /wrong last sequence|key exists/i.test(msg) || (e as { api_error?: { err_code?: number } }).api_error?.err_code === 10071;
}
