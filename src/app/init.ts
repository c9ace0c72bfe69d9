/**
 * `init --cluster NAME --out DIR [--seed HOST[:PORT]]...`: create a secured cluster's identity.
 * Everything is validated first, written into a temporary sibling folder, then renamed into
 * place, so DIR either holds a complete identity or nothing. An existing identity is never
 * overwritten (ERR-CTL-0003, exit 3).
 */
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { NbsError } from '../domain/errors.js';
import {
  CONTROLLER_FILES,
  CONTROLLER_ROLES,
  USER_ROLES,
  buildNodeBundle,
  clientUrlsOfSeeds,
  validateClusterName,
  type ControllerManifest,
  type ControllerRole,
  type NatsCliContext,
  type UserRole,
} from '../domain/identity.js';
import { DEFAULT_PORTS } from '../domain/node-state.js';
import { parseSeeds, formatHostPort } from '../domain/seeds.js';
import { writeFileAtomic } from '../infra/data-folder.js';

/** The users that get a nats CLI context: operator (control, system) and the application user. */
export const CONTEXT_ROLES = ['controller', 'system', 'app-user'] as const;
export type ContextRole = (typeof CONTEXT_ROLES)[number];

const CONTEXT_DESCRIPTION: Record<ContextRole, string> = {
  controller: 'CONTROL account (watch nbs.>)',
  system: 'SYS account (server facts)',
  'app-user': 'APP account, application user (streams, KV, pub/sub)',
};

/** `nbs-<cluster>-control`, `nbs-<cluster>-system`, `nbs-<cluster>-app`. */
export function contextName(cluster: string, role: ContextRole): string {
  return `nbs-${cluster}-${role === 'controller' ? 'control' : role === 'system' ? 'system' : 'app'}`;
}

export interface InitOptions {
  cluster: string;
  out: string;
  seeds: string[];
  cwd: string;
  now?: () => Date;
  /**
   * Client URLs written into the nats CLI contexts (default: the seed hosts on port 4222).
   * `demo` passes its nodes' real client ports here.
   */
  clientUrls?: string[];
}

export interface InitResult {
  schema_version: 1;
  cluster: string;
  dir: string;
  bundle: string;
  controller_dir: string;
  contexts: Array<{ name: string; file: string; user: ContextRole }>;
  seeds: string[];
  users: Array<{ role: UserRole; account: string; public_key: string }>;
}

async function existing(path: string): Promise<'none' | 'empty-dir' | 'nonempty-dir' | 'file'> {
  try {
    const st = await stat(path);
    if (!st.isDirectory()) return 'file';
    return (await readdir(path)).length === 0 ? 'empty-dir' : 'nonempty-dir';
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return 'none';
    throw e;
  }
}

export async function initIdentity(opts: InitOptions): Promise<InitResult> {
  // 1. Validate everything before touching the disk.
  const cluster = validateClusterName(opts.cluster);
  let seeds: string[];
  try {
    seeds = parseSeeds(opts.seeds, DEFAULT_PORTS.cluster).map(formatHostPort);
  } catch (e) {
    throw new NbsError('ERR-CTL-0002', (e as Error).message, { cause: e });
  }
  const dir = resolve(opts.cwd, opts.out);
  const state = await existing(dir);
  if (state === 'file') throw new NbsError('ERR-CTL-0002', `--out ${dir} is a file, not a folder`);
  if (state === 'nonempty-dir') {
    const entries = await readdir(dir);
    if (entries.includes(CONTROLLER_FILES.bundle) || entries.includes(CONTROLLER_FILES.controllerDir)) {
      throw new NbsError('ERR-CTL-0003', `${dir} already holds a cluster identity; it is never overwritten`);
    }
    throw new NbsError('ERR-CTL-0002', `--out ${dir} is not empty; init writes into a new or empty folder`);
  }
  const parent = dirname(dir);
  if ((await existing(parent)) === 'none') throw new NbsError('ERR-CTL-0002', `the parent folder ${parent} does not exist`);

  // 2. Keys.
  const { createUser } = await import('@nats-io/nkeys');
  const publicKeys = {} as Record<UserRole, string>;
  const secretSeeds = {} as Record<UserRole, string>;
  for (const role of USER_ROLES) {
    const kp = createUser();
    publicKeys[role] = kp.getPublicKey();
    secretSeeds[role] = new TextDecoder().decode(kp.getSeed());
  }
  const createdAt = (opts.now ?? (() => new Date()))().toISOString();
  const bundle = buildNodeBundle({ cluster, seeds, publicKeys, nodeSeed: secretSeeds.node, createdAt });
  const manifest: ControllerManifest = {
    schema_version: 1,
    cluster,
    created_at: createdAt,
    seeds: Object.fromEntries(CONTROLLER_ROLES.map((role) => [role, CONTROLLER_FILES.seed(role)])) as Record<ControllerRole, string>,
  };
  const url = (opts.clientUrls && opts.clientUrls.length > 0 ? opts.clientUrls : clientUrlsOfSeeds(seeds)).join(',');
  const contexts: Array<{ name: string; user: ContextRole; ctx: NatsCliContext }> = CONTEXT_ROLES.map((role) => ({
    name: contextName(cluster, role),
    user: role,
    ctx: { description: `nats-bootstrap cluster ${cluster}: ${CONTEXT_DESCRIPTION[role]}`, url, nkey: join(dir, CONTROLLER_FILES.seed(role)) },
  }));

  // 3. Write into a temporary sibling, then rename into place.
  const tmp = join(parent, `.${basename(dir)}.nbs-init-${process.pid}-${Date.now()}`);
  try {
    await mkdir(join(tmp, CONTROLLER_FILES.controllerDir), { recursive: true, mode: 0o700 });
    await mkdir(join(tmp, CONTROLLER_FILES.contextsDir), { recursive: true, mode: 0o700 });
    for (const role of CONTROLLER_ROLES) {
      await writeFileAtomic(join(tmp, CONTROLLER_FILES.seed(role)), `${secretSeeds[role]}\n`, 0o600);
    }
    await writeFileAtomic(join(tmp, CONTROLLER_FILES.manifest), `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
    await writeFileAtomic(join(tmp, CONTROLLER_FILES.bundle), `${JSON.stringify(bundle, null, 2)}\n`, 0o600);
    for (const c of contexts) {
      await writeFileAtomic(join(tmp, CONTROLLER_FILES.contextsDir, `${c.name}.json`), `${JSON.stringify(c.ctx, null, 2)}\n`, 0o600);
    }
    if (state === 'empty-dir') await rmdir(dir);
    await rename(tmp, dir);
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    if (e instanceof NbsError) throw e;
    throw new NbsError('ERR-CTL-0002', `cannot write the identity to ${dir}: ${(e as Error).message}`, { cause: e });
  }

  return {
    schema_version: 1,
    cluster,
    dir,
    bundle: join(dir, CONTROLLER_FILES.bundle),
    controller_dir: join(dir, CONTROLLER_FILES.controllerDir),
    contexts: contexts.map((c) => ({ name: c.name, file: join(dir, CONTROLLER_FILES.contextsDir, `${c.name}.json`), user: c.user })),
    seeds,
    users: bundle.users.map((u) => ({ role: u.role, account: u.account, public_key: u.public_key })),
  };
}
