import { describe, expect, it } from 'vitest';
import { defaultSnapshotChunkSize } from '../../src/infra/snapshot.js';

describe('snapshot chunk size', () => {
  it('asks for 1 MiB chunks only from servers that honour the ack window (2.12.5+)', () => {
    expect(defaultSnapshotChunkSize('2.9.10')).toBe(128 * 1024);
    expect(defaultSnapshotChunkSize('2.12.4')).toBe(128 * 1024);
    expect(defaultSnapshotChunkSize('2.12.5')).toBe(1024 * 1024);
    expect(defaultSnapshotChunkSize('2.14.0')).toBe(1024 * 1024);
    expect(defaultSnapshotChunkSize(undefined)).toBe(128 * 1024);
  });
});
