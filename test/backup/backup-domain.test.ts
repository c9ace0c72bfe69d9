import { describe, expect, it } from 'vitest';
import { resolve } from 'node:path';
import {
  backupSpecFrom,
  checkRestoredState,
  isNameInUseFailure,
  manifestProblems,
  metaProblems,
  restoreConfig,
  streamFolder,
  streamKind,
  streamNameProblem,
  type BackupManifest,
  type ManifestStream,
} from '../../src/domain/backup.js';
import { NbsError } from '../../src/domain/errors.js';
import { validate } from '../../src/infra/json-schema.js';

const file = { sha256: 'a'.repeat(64), size: 1 };
const entry = (name: string): ManifestStream => ({
  name,
  kind: 'stream',
  storage: 'file',
  replicas: 3,
  messages: 10,
  bytes: 100,
  first_seq: 1,
  last_seq: 10,
  consumers: 0,
  files: { 'backup.json': file, 'stream.tar.s2': file },
});
const manifest = (streams: ManifestStream[]): BackupManifest => ({
  schema_version: 1,
  format: 'nats-bootstrap-backup',
  tool: { name: 'nats-bootstrap', version: '0.1.0' },
  started_at: '2026-12-04T15:00:00.000Z',
  completed_at: '2026-12-04T15:00:01.000Z',
  source: { cluster: 'c1', server_name: 'n1', server_version: '2.9.10' },
  streams,
  skipped: [],
});

function nbsId(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof NbsError ? `${e.id}/${e.exitCode}` : `other: ${(e as Error).message}`;
  }
  return undefined;
}

describe('backup domain rules', () => {
  it('accepts JetStream stream names and refuses names that could escape a folder', () => {
    for (const ok of ['ORDERS', 'KV_config', 'OBJ_files', 'a-b_c', 'Ünïcode']) expect(streamNameProblem(ok)).toBeNull();
    for (const bad of ['', '..', '../x', 'a/b', 'a\\b', '/abs', 'a.b', 'a b', 'a*', 'a>', 'x\u0000y', 'x'.repeat(256)]) {
      expect(streamNameProblem(bad), bad).not.toBeNull();
    }
  });

  it('keeps stream folders inside the backup folder (exit 2 otherwise)', () => {
    expect(streamFolder('/b', 'ORDERS')).toBe(resolve('/b/ORDERS'));
    expect(nbsId(() => streamFolder('/b', '../x'))).toBe('ERR-BKP-0004/2');
    expect(nbsId(() => streamFolder('/b', '..'))).toBe('ERR-BKP-0004/2');
    expect(nbsId(() => streamFolder('/b', '/etc'))).toBe('ERR-BKP-0004/2');
  });

  it('builds a BackupSpec from options: --kv maps to KV_<bucket>, bad combinations are exit 2', () => {
    expect(backupSpecFrom({ streams: ['A'], kv: ['cfg'], output: 'out' })).toEqual({ streams: ['A', 'KV_cfg'], all: false, output: 'out' });
    expect(backupSpecFrom({ all: true, output: 'o' }).all).toBe(true);
    expect(nbsId(() => backupSpecFrom({ all: true, streams: ['A'], output: 'o' }))).toBe('ERR-BKP-0001/2');
    expect(nbsId(() => backupSpecFrom({ output: 'o' }))).toBe('ERR-BKP-0001/2');
    expect(nbsId(() => backupSpecFrom({ streams: ['A'] }))).toBe('ERR-BKP-0001/2');
    expect(nbsId(() => backupSpecFrom({ streams: ['../x'], output: 'o' }))).toBe('ERR-BKP-0001/2');
    expect(nbsId(() => backupSpecFrom({ kv: ['a.b'], output: 'o' }))).toBe('ERR-BKP-0001/2');
  });

  it('knows KV buckets and object stores by their stream names', () => {
    expect(streamKind('KV_cfg')).toEqual({ kind: 'kv', bucket: 'cfg' });
    expect(streamKind('OBJ_files')).toEqual({ kind: 'object_store', bucket: 'files' });
    expect(streamKind('ORDERS')).toEqual({ kind: 'stream' });
  });

  it('a manifest passes its schema; escaping or duplicate names do not pass', () => {
    expect(validate('backup-manifest.schema.json', manifest([entry('ORDERS')]))).toEqual([]);
    expect(validate('backup-manifest.schema.json', manifest([entry('../x')])).length).toBeGreaterThan(0);
    expect(manifestProblems(manifest([entry('../x')])).length).toBe(1);
    expect(manifestProblems(manifest([entry('A'), entry('A')]))).toEqual(['stream "A" is listed twice']);
    const noHash = manifest([entry('A')]);
    (noHash.streams[0]!.files['stream.tar.s2'] as { sha256: string }).sha256 = 'nothex';
    expect(validate('backup-manifest.schema.json', noHash).length).toBeGreaterThan(0);
  });

  it('backup.json must be for the stream of its folder and agree with the manifest', () => {
    const meta = { config: { name: 'ORDERS', storage: 'file' }, state: { messages: 10, bytes: 100, first_seq: 1, last_seq: 10 } };
    expect(metaProblems(entry('ORDERS'), meta)).toEqual([]);
    expect(metaProblems(entry('OTHER'), meta)[0]).toMatch(/is for stream "ORDERS", not "OTHER"/);
    expect(metaProblems(entry('ORDERS'), { ...meta, state: { ...meta.state, last_seq: 11 } })[0]).toMatch(/last_seq/);
    expect(metaProblems(entry('ORDERS'), { config: {} })[0]).toMatch(/does not hold/);
  });

  it('restore config overrides replicas; name-in-use failures are recognised; state check compares count and last seq', () => {
    expect(restoreConfig({ name: 'A', num_replicas: 3 }, 1)).toEqual({ name: 'A', num_replicas: 1 });
    expect(restoreConfig({ name: 'A', num_replicas: 3 })).toEqual({ name: 'A', num_replicas: 3 });
    expect(isNameInUseFailure('stream name already in use')).toBe(true);
    expect(isNameInUseFailure('insufficient resources')).toBe(false);
    const want = { messages: 5, bytes: 1, first_seq: 1, last_seq: 5 };
    expect(checkRestoredState(want, { messages: 5, last_seq: 5 }).ok).toBe(true);
    expect(checkRestoredState(want, { messages: 4, last_seq: 5 }).problems).toEqual(['messages 4, backup has 5']);
  });
});
