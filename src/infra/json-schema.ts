import { readFileSync } from 'node:fs';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';

/**
 * Loads JSON Schemas from `schemas/` and validates with ajv (all errors).
 * `validateSchema: false`: our schemas ship with the package and are checked against the JSON
 * Schema meta-schema by a test (test/domain/schemas.test.ts); compiling the meta-schema on every
 * CLI start cost ~80 ms.
 */
const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
const cache = new Map<string, ValidateFunction>();

export function schemaPath(name: string): URL {
  return new URL(`../../schemas/${name}`, import.meta.url);
}

export function loadSchema(name: string): object {
  return JSON.parse(readFileSync(schemaPath(name), 'utf8')) as object;
}

export function validator(name: string): ValidateFunction {
  let v = cache.get(name);
  if (!v) {
    v = ajv.compile(loadSchema(name));
    cache.set(name, v);
  }
  return v;
}

/** One readable line per ajv error, naming the JSON path of the offending key. */
export function describeSchemaErrors(errors: ErrorObject[] | null | undefined): string[] {
  return (errors ?? []).map((e) => {
    const at = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '';
    if (e.keyword === 'additionalProperties') {
      const key = (e.params as { additionalProperty: string }).additionalProperty;
      return `unknown key "${at ? `${at}.` : ''}${key}"`;
    }
    if (e.keyword === 'required') {
      const key = (e.params as { missingProperty: string }).missingProperty;
      return `missing key "${at ? `${at}.` : ''}${key}"`;
    }
    if (e.keyword === 'type') return `key "${at || '(root)'}" must be ${(e.params as { type: string }).type}`;
    return `key "${at || '(root)'}" ${e.message ?? 'is invalid'}`;
  });
}

/** Validate data; returns the list of problems (empty when valid). */
export function validate(name: string, data: unknown): string[] {
  const v = validator(name);
  return v(data) ? [] : describeSchemaErrors(v.errors);
}
