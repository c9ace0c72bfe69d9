/** nats-server monitoring endpoint client (`/varz`, `/jsz`, `/healthz`, `/routez`). */
import { get as httpGet } from 'node:http';
import { dialHost, formatHostPort } from '../domain/seeds.js';

export interface Varz {
  server_id: string;
  server_name: string;
  version: string;
  host: string;
  port: number;
  http_port?: number;
  cluster?: { name?: string; addr?: string; cluster_port?: number; urls?: string[] };
  jetstream?: { config?: { store_dir?: string }; meta?: { leader?: string; cluster_size?: number } };
  connections?: number;
  routes?: number;
  start?: string;
  now?: string;
}

export interface MetaReplica {
  name: string;
  current: boolean;
  offline?: boolean;
  active?: number;
  lag?: number;
  peer?: string;
}

export interface Jsz {
  server_id: string;
  now?: string;
  disabled?: boolean;
  config?: { store_dir?: string };
  streams?: number;
  consumers?: number;
  messages?: number;
  bytes?: number;
  meta_cluster?: { name?: string; leader?: string; peer?: string; cluster_size?: number; replicas?: MetaReplica[] };
}

export interface Healthz {
  status: string;
  error?: string;
  status_code?: number;
}

export interface Routez {
  num_routes: number;
  routes?: Array<{ rid: number; remote_id: string; remote_name?: string; ip: string; port: number; did_solicit?: boolean }>;
}

export class MonitoringClient {
  constructor(
    readonly baseUrl: string,
    private readonly timeoutMs = 2000,
  ) {}

  /** The monitoring endpoint on `port` of a server listening on `host` (a wildcard means the loopback). */
  static forPort(port: number, host?: string, timeoutMs?: number): MonitoringClient {
    return new MonitoringClient(`http://${formatHostPort({ host: dialHost(host), port })}`, timeoutMs);
  }

  /**
   * GET a monitoring path; /healthz answers 503 with a JSON body when unhealthy.
   * Uses node:http rather than fetch: the first fetch in a process costs ~70 ms (undici start-up),
   * which `status` would pay on every run. Network errors keep the errno code in `cause.code`.
   */
  get<T>(path: string): Promise<T> {
    const url = `${this.baseUrl}${path}`;
    return new Promise<T>((resolve, reject) => {
      const req = httpGet(url, { timeout: this.timeoutMs }, (res) => {
        const status = res.statusCode ?? 0;
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('error', (e) => reject(new Error(`GET ${url} failed: ${e.message}`, { cause: e })));
        res.on('end', () => {
          if (status !== 200 && status !== 503) return reject(new Error(`GET ${url} → HTTP ${status}`));
          try {
            resolve(JSON.parse(body) as T);
          } catch (e) {
            reject(new Error(`GET ${url}: not JSON`, { cause: e }));
          }
        });
      });
      req.on('timeout', () => req.destroy(Object.assign(new Error(`timed out after ${this.timeoutMs} ms`), { code: 'ETIMEDOUT' })));
      req.on('error', (e) => reject(new Error(`GET ${url} failed: ${e.message}`, { cause: e })));
    });
  }

  varz(): Promise<Varz> {
    return this.get<Varz>('/varz');
  }
  jsz(): Promise<Jsz> {
    return this.get<Jsz>('/jsz');
  }
  healthz(query = ''): Promise<Healthz> {
    return this.get<Healthz>(`/healthz${query}`);
  }
  routez(): Promise<Routez> {
    return this.get<Routez>('/routez');
  }
}
