/**
 * Turn `--server/--creds/--nkey/--user/--password/--context` into a ConnectionSpec for
 * `openConnection`. A `nats` CLI context (`~/.config/nats/context/NAME.json`, fields url, creds,
 * nkey, user, password) gives defaults; explicit options win. With no option at all the nats CLI's
 * selected context (`~/.config/nats/context.txt`) is used when there is one, else
 * nats://127.0.0.1:4222.
 */
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { NbsError } from '../domain/errors.js';
import type { ConnectionSpec } from './nats-connection.js';

export const DEFAULT_SERVER = 'nats://127.0.0.1:4222';

export interface ConnectionFlags {
  server?: string;
  creds?: string;
  nkey?: string;
  user?: string;
  password?: string;
  context?: string;
}

export interface ConnectionEnv {
  /** Home folder (default os.homedir()). */
  home?: string;
  /** XDG_CONFIG_HOME, when set (the nats CLI honours it). */
  xdgConfigHome?: string;
  cwd: string;
}

/** The fields of a nats CLI context we use. */
export interface NatsContext {
  url?: string;
  creds?: string;
  nkey?: string;
  user?: string;
  password?: string;
}

export interface ResolvedConnection {
  spec: ConnectionSpec;
  /** Where the settings came from, for messages: "options", "context NAME", "default". */
  source: string;
}

function natsConfigDir(env: ConnectionEnv): string {
  const base = env.xdgConfigHome && env.xdgConfigHome !== '' ? env.xdgConfigHome : join(env.home ?? homedir(), '.config');
  return join(base, 'nats');
}

function contextNameProblem(name: string): string | null {
  return /^[\w.-]+$/.test(name) && name !== '.' && name !== '..' ? null : `context name "${name}" may only hold letters, digits, ., - and _`;
}

/** Expand `~/` the way the nats CLI does for paths stored in a context. */
function contextPath(p: string, env: ConnectionEnv): string {
  if (p.startsWith('~/')) return join(env.home ?? homedir(), p.slice(2));
  return isAbsolute(p) ? p : resolve(env.cwd, p);
}

export async function readNatsContext(name: string, env: ConnectionEnv): Promise<NatsContext> {
  const problem = contextNameProblem(name);
  if (problem) throw new NbsError('ERR-CORE-0004', `--context: ${problem}`);
  const file = join(natsConfigDir(env), 'context', `${name}.json`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new NbsError('ERR-CORE-0004', `nats context "${name}" not found (${file}): ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, {
      hint: 'list contexts with `nats context ls`, or pass --server and credentials instead',
    });
  }
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(text) as Record<string, unknown>;
  } catch (e) {
    throw new NbsError('ERR-CORE-0004', `nats context "${name}" (${file}) is not valid JSON: ${(e as Error).message}`);
  }
  const ctx: NatsContext = {};
  for (const k of ['url', 'creds', 'nkey', 'user', 'password'] as const) {
    const v = raw[k];
    if (typeof v === 'string' && v !== '') ctx[k] = v;
  }
  return ctx;
}

/** The nats CLI's selected context name, or null when none is selected. */
export async function selectedContextName(env: ConnectionEnv): Promise<string | null> {
  try {
    const name = (await readFile(join(natsConfigDir(env), 'context.txt'), 'utf8')).trim();
    return name === '' ? null : name;
  } catch {
    return null;
  }
}

function splitServers(s: string): string[] {
  const list = s
    .split(',')
    .map((x) => x.trim())
    .filter((x) => x !== '');
  if (list.length === 0) throw new NbsError('ERR-CORE-0004', '--server needs at least one URL');
  return list;
}

export async function resolveConnection(flags: ConnectionFlags, env: ConnectionEnv): Promise<ResolvedConnection> {
  if (flags.creds && flags.nkey) throw new NbsError('ERR-CORE-0004', '--creds and --nkey exclude each other');
  if (flags.password !== undefined && flags.user === undefined) throw new NbsError('ERR-CORE-0004', '--password needs --user');
  const anyFlag = Object.values(flags).some((v) => v !== undefined);
  let contextName = flags.context ?? null;
  let source = 'options';
  if (!anyFlag) {
    contextName = await selectedContextName(env);
    source = contextName ? `context ${contextName} (selected)` : 'default';
  } else if (contextName) {
    source = `context ${contextName}`;
  }
  const ctx: NatsContext = contextName ? await readNatsContext(contextName, env) : {};
  const spec: ConnectionSpec = { servers: splitServers(flags.server ?? ctx.url ?? DEFAULT_SERVER) };
  // Explicit credentials replace the context's credentials as a whole (no creds + user mix).
  const explicitAuth = flags.creds !== undefined || flags.nkey !== undefined || flags.user !== undefined;
  const auth: NatsContext = explicitAuth ? { ...flags } : ctx;
  if (auth.creds) spec.credsFile = explicitAuth ? resolve(env.cwd, auth.creds) : contextPath(auth.creds, env);
  else if (auth.nkey) spec.nkeyFile = explicitAuth ? resolve(env.cwd, auth.nkey) : contextPath(auth.nkey, env);
  else if (auth.user) {
    spec.user = auth.user;
    spec.password = auth.password ?? '';
  }
  return { spec, source };
}
