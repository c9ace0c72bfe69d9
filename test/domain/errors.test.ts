import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERROR_CATALOG, NbsError, toNbsError } from '../../src/domain/errors.js';

describe('error catalog', () => {
  const doc = readFileSync(new URL('../../docs/errors.md', import.meta.url), 'utf8');

  it('lists every catalog ID in docs/errors.md with its exit code', () => {
    const missing: string[] = [];
    for (const [id, spec] of Object.entries(ERROR_CATALOG)) {
      const row = doc.split('\n').find((l) => l.startsWith(`| \`${id}\``));
      if (!row) missing.push(id);
      else expect(row, id).toContain(`| ${spec.exit} |`);
    }
    expect(missing).toEqual([]);
  });

  it('uses only exit codes 1, 2 and 3 and IDs of the form ERR-AREA-NNNN', () => {
    for (const [id, spec] of Object.entries(ERROR_CATALOG)) {
      expect(id).toMatch(/^ERR-[A-Z]+-\d{4}$/);
      expect([1, 2, 3]).toContain(spec.exit);
      expect(spec.hint.length).toBeGreaterThan(0);
    }
  });

  it('NbsError takes exit code and hint from the catalog unless overridden', () => {
    const e = new NbsError('ERR-CORE-0002', 'bad');
    expect(e.exitCode).toBe(2);
    expect(e.hint).toBe(ERROR_CATALOG['ERR-CORE-0002'].hint);
    const o = new NbsError('ERR-CORE-0002', 'bad', { hint: 'h', exit: 1 });
    expect([o.exitCode, o.hint]).toEqual([1, 'h']);
    expect(toNbsError(new Error('boom')).id).toBe('ERR-CORE-0007');
  });
});
