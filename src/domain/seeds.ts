/**
 * Seeds, listen addresses, ports and names of the bootstrap flags: parsing and validation.
 * Pure: no I/O. Every problem is an NbsError with exit 2 (bad input, nothing changed).
 */
import { NbsError } from './errors.js';

export interface HostPort {
  host: string;
  port: number;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62})(?:\.[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,62}))*\.?$/;
const IPV4 = /^(?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3}$/;
const IPV6 = /^[0-9A-Fa-f:.]+(?:%[A-Za-z0-9_.-]+)?$/;

/** A TCP port 1..65535 (0 is refused: nats-server would pick a random one). */
export function parsePort(value: string | number, what: string): number {
  const s = String(value).trim();
  if (!/^\d+$/.test(s)) throw new NbsError('ERR-BOOT-0001', `${what}: "${value}" is not a port number (1-65535)`);
  const n = Number(s);
  if (n < 1 || n > 65535) throw new NbsError('ERR-BOOT-0001', `${what}: port ${s} is out of range (1-65535)`);
  return n;
}

function checkHost(host: string, input: string, what: string): string {
  if (host === '') throw new NbsError('ERR-BOOT-0001', `${what}: "${input}" has no host`);
  if (IPV4.test(host) || HOSTNAME.test(host)) return host;
  throw new NbsError('ERR-BOOT-0001', `${what}: "${input}" is not a valid host name or address`);
}

/**
 * Parse `HOST`, `HOST:PORT`, `[IPv6]`, `[IPv6]:PORT`, optionally prefixed by `nats-route://` or
 * `nats://`. A host alone takes `defaultPort`. Bare IPv6 without brackets is refused (ambiguous).
 */
export function parseHostPort(input: string, defaultPort: number, what: string): HostPort {
  let s = input.trim();
  const scheme = /^([a-z][a-z0-9+.-]*):\/\//i.exec(s);
  if (scheme) {
    if (!['nats-route', 'nats', 'tls'].includes(scheme[1]!.toLowerCase())) {
      throw new NbsError('ERR-BOOT-0001', `${what}: "${input}" has an unsupported scheme ${scheme[1]}://`);
    }
    s = s.slice(scheme[0].length).replace(/\/$/, '');
  }
  if (s.includes('@') || s.includes('/')) throw new NbsError('ERR-BOOT-0001', `${what}: "${input}" must be HOST or HOST:PORT`);
  if (s.startsWith('[')) {
    const m = /^\[([^\]]+)\](?::(.*))?$/.exec(s);
    if (!m || !IPV6.test(m[1]!) || !m[1]!.includes(':')) throw new NbsError('ERR-BOOT-0001', `${what}: "${input}" is not a valid [IPv6]:PORT address`);
    return { host: m[1]!, port: m[2] === undefined ? defaultPort : parsePort(m[2], `${what} "${input}"`) };
  }
  const parts = s.split(':');
  if (parts.length > 2) {
    throw new NbsError('ERR-BOOT-0001', `${what}: "${input}" must be HOST or HOST:PORT (write IPv6 addresses as [addr]:port)`);
  }
  const host = checkHost(parts[0]!, input, what);
  return { host, port: parts.length === 2 ? parsePort(parts[1]!, `${what} "${input}"`) : defaultPort };
}

export function formatHostPort(hp: HostPort): string {
  return `${hp.host.includes(':') ? `[${hp.host}]` : hp.host}:${hp.port}`;
}

/** The host a client on this machine dials for a listen address: a wildcard (or none) means the loopback. */
export function dialHost(listenHost: string | undefined): string {
  return !listenHost || listenHost === '0.0.0.0' || listenHost === '::' ? '127.0.0.1' : listenHost;
}

/** The route URL nats-server solicits for a seed. */
export function routeUrl(hp: HostPort): string {
  return `nats-route://${formatHostPort(hp)}`;
}

/** Parse every seed; duplicates (same host and port) are dropped, order kept. */
export function parseSeeds(seeds: readonly string[], clusterPort: number): HostPort[] {
  const out: HostPort[] = [];
  const seen = new Set<string>();
  for (const s of seeds) {
    const hp = parseHostPort(s, clusterPort, '--seed');
    const key = formatHostPort(hp).toLowerCase();
    if (!seen.has(key)) {
      seen.add(key);
      out.push(hp);
    }
  }
  return out;
}

/**
 * Cluster and server names: non-empty, no whitespace or control characters (nats-server and
 * JetStream refuse names with spaces), at most 128 characters.
 */
export function validateName(value: string, what: '--cluster' | '--server-name'): string {
  if (value.length === 0) throw new NbsError('ERR-BOOT-0001', `${what} must not be empty`);
  if (/\s/.test(value)) throw new NbsError('ERR-BOOT-0001', `${what} "${value}" contains whitespace; nats-server names cannot contain spaces`);
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new NbsError('ERR-BOOT-0001', `${what} contains a control character`);
  if (value.length > 128) throw new NbsError('ERR-BOOT-0001', `${what} is longer than 128 characters`);
  if (/[*>]/.test(value)) throw new NbsError('ERR-BOOT-0001', `${what} "${value}" must not contain the subject wildcards * or >`);
  return value;
}
