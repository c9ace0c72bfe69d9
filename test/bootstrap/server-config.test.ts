import { execFileSync, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { quoteConfString, renderServerConfig, type ServerConfigSpec } from '../../src/domain/server-config.js';
import { monitorGet, natsServerBin, tempDir, waitFor } from '../support/nats-harness.js';
import { freePorts } from '../support/ports.js';

const base: ServerConfigSpec = {
  serverName: 'n1',
  clientHost: '0.0.0.0',
  clientPort: 4222,
  httpHost: '0.0.0.0',
  httpPort: 8222,
  cluster: { name: 'demo', listenHost: '0.0.0.0', listenPort: 6222, routes: ['nats-route://a:6222', 'nats-route://[::1]:6222'] },
  storeDir: '/data/node',
  pidFile: '/data/node/nats-server.pid',
  lameDuckDurationS: 30,
  lameDuckGracePeriodS: 3,
};

const dirs: Array<() => Promise<void>> = [];
afterAll(async () => {
  for (const d of dirs) await d();
});

describe('renderServerConfig', () => {
  it('quotes and escapes strings', () => {
    expect(quoteConfString('C:\\nats "x"')).toBe('"C:\\\\nats \\"x\\""');
    expect(quoteConfString('$HOME # not a comment')).toBe('"$HOME # not a comment"');
    expect(() => quoteConfString('a\u0000')).toThrow(/control character/);
  });

  it('renders every bootstrap key', () => {
    const text = renderServerConfig(base);
    expect(text).toContain('server_name: "n1"');
    expect(text).toContain('listen: "0.0.0.0:4222"');
    expect(text).toContain('http: "0.0.0.0:8222"');
    expect(text).toContain('pid_file: "/data/node/nats-server.pid"');
    expect(text).toContain('lame_duck_duration: "30s"');
    expect(text).toContain('lame_duck_grace_period: "3s"');
    expect(text).toContain('store_dir: "/data/node"');
    expect(text).toMatch(/cluster \{\n {2}name: "demo"\n {2}listen: "0\.0\.0\.0:6222"/);
    expect(text).toContain('"nats-route://[::1]:6222"');
    expect(text).toContain('# open cluster');
  });

  it('standalone: no cluster block', () => {
    expect(renderServerConfig({ ...base, cluster: null })).not.toContain('cluster {');
  });

  it('appends an opaque security section and drops the open note', () => {
    const text = renderServerConfig({ ...base, security: { block: 'system_account: SYS\naccounts { SYS { users: [] } }', clusterBlock: 'authorization { user: r, password: p }' } });
    expect(text).toContain('system_account: SYS');
    expect(text).toMatch(/cluster \{[\s\S]* {2}authorization \{ user: r, password: p \}\n\}/);
    expect(text).not.toContain('# open cluster');
  });

  it('refuses a grace period not shorter than the duration', () => {
    expect(() => renderServerConfig({ ...base, lameDuckGracePeriodS: 30 })).toThrow(/grace period/);
  });

  it('nats-server -t accepts tricky paths and names, and the server reads them back literally', async () => {
    const tmp = await tempDir('nbs-conf-');
    dirs.push(tmp.remove);
    const weird = join(tmp.path, 'dir with "quotes" $HOME #hash \\back');
    const [client, http] = await freePorts(2);
    const name = 'n"1\\x$HOME';
    const text = renderServerConfig({ ...base, serverName: name, clientHost: '127.0.0.1', clientPort: client!, httpHost: '127.0.0.1', httpPort: http!, cluster: null, storeDir: weird, pidFile: join(tmp.path, 'p.pid') });
    const f = join(tmp.path, 'c.conf');
    writeFileSync(f, text);
    execFileSync(natsServerBin(), ['-t', '-c', f], { stdio: 'ignore' });
    const proc = spawn(natsServerBin(), ['-c', f], { stdio: 'ignore' });
    try {
      const varz = await waitFor('varz', () => monitorGet<{ server_name: string; jetstream?: { config?: { store_dir?: string } } }>(http!, '/varz'));
      expect(varz.server_name).toBe(name);
      expect(varz.jetstream?.config?.store_dir).toBe(join(weird, 'jetstream'));
    } finally {
      proc.kill('SIGKILL');
    }
  });
});
