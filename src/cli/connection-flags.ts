import type { ConnectionFlags } from '../infra/connection-options.js';
import { optString } from './option-parsing.js';

/** `--server/--creds/--nkey/--user/--password/--context` (backup, restore) as typed flags. */
export function connectionFlags(o: Record<string, unknown>): ConnectionFlags {
  const flags: ConnectionFlags = {};
  for (const [key, flag] of [
    ['server', '--server'],
    ['creds', '--creds'],
    ['nkey', '--nkey'],
    ['user', '--user'],
    ['password', '--password'],
    ['context', '--context'],
  ] as const) {
    const v = optString(o, key, flag);
    if (v !== undefined) flags[key] = v;
  }
  return flags;
}
