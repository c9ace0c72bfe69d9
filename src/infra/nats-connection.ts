import { readFile } from 'node:fs/promises';
import { NbsError } from '../domain/errors.js';

export interface ConnectionSpec {
  /** One or more URLs, e.g. ["nats://127.0.0.1:4222"]. */
  servers: string[];
  name?: string;
  /** Path of a .creds file (JWT + seed). */
  credsFile?: string;
  /** An nkey seed (SU…) given directly, or read from `nkeyFile`. */
  nkeySeed?: string;
  nkeyFile?: string;
  user?: string;
  password?: string;
  timeoutMs?: number;
  /** Keep reconnecting (long-running services) or fail fast (CLI commands). */
  reconnect?: boolean;
  /** Inbox prefix for request replies (users whose subscribe permission is limited to it). */
  inboxPrefix?: string;
}

/**
 * Open a NATS connection (nats.js v3). The heavy client module is imported here, lazily, so the
 * CLI only loads it for commands that talk NATS.
 */
export async function openConnection(spec: ConnectionSpec) {
  const nats = await import('@nats-io/transport-node');
  let authenticator;
  if (spec.credsFile) {
    const creds = await readFile(spec.credsFile).catch((e: unknown) => {
      throw new NbsError('ERR-CORE-0009', `cannot read credentials ${spec.credsFile}: ${(e as Error).message}`);
    });
    authenticator = nats.credsAuthenticator(new Uint8Array(creds));
  } else if (spec.nkeySeed || spec.nkeyFile) {
    const seed = spec.nkeySeed ?? (await readFile(spec.nkeyFile as string, 'utf8'));
    authenticator = nats.nkeyAuthenticator(new TextEncoder().encode(seed.trim()));
  }
  try {
    return await nats.connect({
      servers: spec.servers,
      name: spec.name ?? 'nats-bootstrap',
      timeout: spec.timeoutMs ?? 5000,
      ...(authenticator ? { authenticator } : {}),
      ...(spec.user ? { user: spec.user, pass: spec.password ?? '' } : {}),
      ...(spec.inboxPrefix ? { inboxPrefix: spec.inboxPrefix } : {}),
      ...(spec.reconnect === false ? { reconnect: false } : { maxReconnectAttempts: -1, reconnectTimeWait: 500 }),
    });
  } catch (e) {
    throw new NbsError('ERR-CORE-0009', `cannot connect to ${spec.servers.join(', ')}: ${(e as Error).message}`, { cause: e });
  }
}

export type NatsConnection = Awaited<ReturnType<typeof openConnection>>;
