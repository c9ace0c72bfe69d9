import { readdirSync, readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import { describe, expect, it } from 'vitest';

/**
 * Every schema in schemas/ is a valid JSON Schema (checked against the meta-schema here, because
 * the runtime validator skips that step for start-up time) and compiles.
 */
describe('schemas/*.json', () => {
  const dir = new URL('../../schemas/', import.meta.url);
  const files = readdirSync(dir).filter((f) => f.endsWith('.json'));

  it('include the status and doctor output schemas', () => {
    expect(files).toEqual(expect.arrayContaining(['config.schema.json', 'status.schema.json', 'doctor.schema.json']));
  });

  for (const f of files) {
    it(`${f} is valid against its meta-schema and compiles`, () => {
      const schema = JSON.parse(readFileSync(new URL(f, dir), 'utf8')) as Record<string, unknown>;
      const ajv = new Ajv({ allErrors: true, strict: false });
      expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
      expect(() => ajv.compile(schema)).not.toThrow();
    });
  }
});
