/**
 * Reading and checking the files `init` writes: the node bundle (every node) and the controller
 * folder (controller host only). Every problem is ERR-CTL-0002 (exit 2, nothing changed).
 */
import { readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { NbsError } from '../domain/errors.js';
import { CONTROLLER_FILES, CONTROLLER_ROLES, USER_ROLES, bundleUser, type ControllerManifest, type ControllerRole, type NodeBundle } from '../domain/identity.js';
import { validate } from './json-schema.js';

async function readJson(path: string, what: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new NbsError('ERR-CTL-0002', `cannot read ${what} ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (e) {
    throw new NbsError('ERR-CTL-0002', `${what} ${path} is not valid JSON: ${(e as Error).message}`, { cause: e });
  }
}

/** Derive the public key of a user seed; throws ERR-CTL-0002 when the seed is not a user seed. */
async function publicKeyOfSeed(seed: string, what: string): Promise<string> {
  const { fromSeed } = await import('@nats-io/nkeys');
  try {
    const kp = fromSeed(new TextEncoder().encode(seed.trim()));
    return kp.getPublicKey();
  } catch (e) {
    throw new NbsError('ERR-CTL-0002', `${what} does not hold a valid nkey seed`, { cause: e });
  }
}

/** Read and validate a node bundle: schema, one user per role, node seed ↔ node public key. */
export async function readBundle(path: string): Promise<NodeBundle> {
  const data = await readJson(path, 'node bundle');
  const problems = validate('node-bundle.schema.json', data);
  if (problems.length > 0) {
    throw new NbsError('ERR-CTL-0002', `node bundle ${path} is invalid: ${problems[0]}`, { details: problems.slice(1) });
  }
  const bundle = data as NodeBundle;
  for (const role of USER_ROLES) {
    const n = bundle.users.filter((u) => u.role === role).length;
    if (n !== 1) throw new NbsError('ERR-CTL-0002', `node bundle ${path} must have exactly one "${role}" user (has ${n})`);
  }
  const nodePub = await publicKeyOfSeed(bundle.node_credential.seed, `node bundle ${path}`);
  if (nodePub !== bundleUser(bundle, 'node').public_key) {
    throw new NbsError('ERR-CTL-0002', `node bundle ${path}: the node credential does not match the node user's public key`);
  }
  return bundle;
}

export interface ControllerIdentity {
  dir: string;
  bundle: NodeBundle;
  manifest: ControllerManifest;
  /** Seeds of the controller-side users (never printed). */
  seeds: Record<ControllerRole, string>;
}

/** Read the init folder on the controller host: bundle, manifest and the four seeds. */
export async function readControllerDir(dirInput: string, cwd: string): Promise<ControllerIdentity> {
  const dir = resolve(cwd, dirInput);
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a folder');
  } catch (e) {
    throw new NbsError('ERR-CTL-0002', `controller folder ${dir} not found (run init --out ${dirInput} first)`, { cause: e });
  }
  const bundle = await readBundle(join(dir, CONTROLLER_FILES.bundle));
  const manifest = (await readJson(join(dir, CONTROLLER_FILES.manifest), 'controller manifest')) as ControllerManifest;
  if (manifest?.schema_version !== 1 || manifest.cluster !== bundle.cluster || typeof manifest.seeds !== 'object') {
    throw new NbsError('ERR-CTL-0002', `controller manifest ${join(dir, CONTROLLER_FILES.manifest)} does not belong to cluster "${bundle.cluster}"`);
  }
  const seeds = {} as Record<ControllerRole, string>;
  for (const role of CONTROLLER_ROLES) {
    const rel = manifest.seeds[role];
    if (typeof rel !== 'string') throw new NbsError('ERR-CTL-0002', `controller manifest names no seed file for "${role}"`);
    const file = resolve(dir, rel);
    let seed: string;
    try {
      seed = (await readFile(file, 'utf8')).trim();
    } catch (e) {
      throw new NbsError('ERR-CTL-0002', `cannot read the ${role} seed ${file}`, { cause: e });
    }
    const pub = await publicKeyOfSeed(seed, `seed file ${file}`);
    if (pub !== bundleUser(bundle, role).public_key) {
      throw new NbsError('ERR-CTL-0002', `seed file ${file} does not match the "${role}" user of the node bundle`);
    }
    seeds[role] = seed;
  }
  return { dir, bundle, manifest, seeds };
}
