import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { CONFIG_FILE_NAME, type BootstrapConfig, type LoadedConfig } from '../domain/config.js';
import { NbsError } from '../domain/errors.js';

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new NbsError('ERR-CORE-0006', `cannot read config file ${path}: ${(e as Error).message}`, { cause: e });
  }
}

/** ajv is loaded only when a config file exists (start-up time of status/--version). */
async function parseAndValidate(path: string, text: string): Promise<BootstrapConfig> {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new NbsError('ERR-CORE-0002', `config file ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
  const { validate } = await import('./json-schema.js');
  const problems = validate('config.schema.json', data);
  if (problems.length > 0) {
    // One line naming every offending key (the error contract: one clear line + hint).
    throw new NbsError('ERR-CORE-0002', `config file ${path}: ${problems.join('; ')}`, { data: { file: path, problems } });
  }
  return data as BootstrapConfig;
}

/**
 * Find and load the config file: `--config FILE` (must exist) > `./nats-config.json` >
 * `~/.nats-bootstrap/nats-config.json` > none.
 */
export async function loadConfig(opts: { explicit?: string | undefined; cwd: string; home?: string }): Promise<LoadedConfig> {
  if (opts.explicit !== undefined) {
    const path = resolve(opts.cwd, opts.explicit);
    const text = await readIfExists(path);
    if (text === null) throw new NbsError('ERR-CORE-0006', `config file ${path} does not exist`);
    return { path, source: 'flag', values: await parseAndValidate(path, text) };
  }
  const candidates: Array<[string, LoadedConfig['source']]> = [
    [resolve(opts.cwd, CONFIG_FILE_NAME), 'cwd'],
    [join(opts.home ?? homedir(), '.nats-bootstrap', CONFIG_FILE_NAME), 'home'],
  ];
  for (const [path, source] of candidates) {
    const text = await readIfExists(path);
    if (text !== null) return { path, source, values: await parseAndValidate(path, text) };
  }
  return { path: null, source: 'none', values: {} };
}
