import { NbsError, type ErrorId } from '../domain/errors.js';

/** Typed readers for raw cac option values; each throws a usage error naming the flag. */
export function optString(options: Record<string, unknown>, key: string, flag: string, id: ErrorId = 'ERR-CORE-0004'): string | undefined {
  const v = options[key];
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) throw new NbsError(id, `${flag} was given more than once`);
  if (typeof v === 'boolean') throw new NbsError(id, `${flag} needs a value`);
  const s = String(v);
  if (s === '') throw new NbsError(id, `${flag} needs a non-empty value`);
  return s;
}

export function optStrings(options: Record<string, unknown>, key: string, flag: string, id: ErrorId = 'ERR-CORE-0004'): string[] {
  const v = options[key];
  if (v === undefined || v === null) return [];
  const list = Array.isArray(v) ? v : [v];
  return list.map((x) => {
    if (typeof x === 'boolean' || x === '') throw new NbsError(id, `${flag} needs a value`);
    return String(x);
  });
}

/** A comma-separated list in one flag (`--server URL[,URL]`): trimmed, empty items dropped. */
export function optList(options: Record<string, unknown>, key: string, flag: string, id: ErrorId = 'ERR-CORE-0004'): string[] | undefined {
  return optString(options, key, flag, id)
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

export function optBool(options: Record<string, unknown>, key: string): boolean {
  return options[key] === true || options[key] === 'true';
}

export function optInt(options: Record<string, unknown>, key: string, flag: string, id: ErrorId = 'ERR-CORE-0004'): number | undefined {
  const s = optString(options, key, flag, id);
  if (s === undefined) return undefined;
  if (!/^-?\d+$/.test(s)) throw new NbsError(id, `${flag} must be a whole number, got "${s}"`);
  return Number(s);
}
