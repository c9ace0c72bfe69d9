/**
 * Bad input to up/join: exit 2, one `error[ID]` line (plus its hint), no config written, no
 * process started.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { createConnection } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, tempDir, type TestServer } from '../support/nats-harness.js';
import { freePorts } from '../support/ports.js';
import { cliEnv } from './cli-nodes.js';
import { runCli } from '../support/cli-run.js';

let root: { path: string; remove: () => Promise<void> };
let env: Record<string, string>;
let ports: number[];
let seedServer: TestServer;

function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection({ host: '127.0.0.1', port });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

beforeAll(async () => {
  root = await tempDir('nbs-bad-');
  env = cliEnv(root.path);
  ports = await freePorts(3);
  // A running server named "taken" in cluster "prod", to collide with.
  const [c, k, h] = await freePorts(3);
  seedServer = await startServer({ name: 'taken', clusterName: 'prod', routes: [`nats-route://127.0.0.1:${k}`], ports: { client: c!, cluster: k!, http: h! } });
  writeFileSync(join(root.path, 'a-file'), 'x');
  writeFileSync(join(root.path, 'user.conf'), 'port: 4222\n');
});

afterAll(async () => {
  await seedServer?.kill();
  await root.remove();
});

describe('up/join refuse bad input before writing or starting anything', () => {
  const p = () => ['--client-port', String(ports[0]), '--cluster-port', String(ports[1]), '--http-port', String(ports[2]), '--detach'];
  const cases: Array<[string, () => string[], string, string]> = [
    ['seed a:b:c', () => ['up', '--cluster', 'c', '--seed', 'a:b:c', ...p()], 'ERR-BOOT-0001', 'node1'],
    ['client port 0', () => ['up', '--cluster', 'c', '--seed', 'a', '--client-port', '0'], 'ERR-BOOT-0001', 'node2'],
    ['cluster port 70000', () => ['up', '--cluster', 'c', '--seed', 'a', '--cluster-port', '70000'], 'ERR-BOOT-0001', 'node3'],
    ['cluster name with a space', () => ['up', '--cluster', 'my cluster', '--seed', 'a', ...p()], 'ERR-BOOT-0001', 'node4'],
    ['--cluster with --nats-config', () => ['up', '--cluster', 'c', '--nats-config', 'user.conf', ...p()], 'ERR-BOOT-0003', 'node5'],
    ['join --cluster without --seed', () => ['join', '--cluster', 'c', ...p()], 'ERR-BOOT-0002', 'node6'],
    [
      'a server name already used by a running seed',
      () => ['up', '--cluster', 'prod', '--server-name', 'taken', '--seed', `127.0.0.1:${seedServer.clusterPort}`, ...p()],
      'ERR-BOOT-0011',
      'node7',
    ],
    [
      'a cluster name that differs from a running seed',
      () => ['up', '--cluster', 'dev', '--server-name', 'fresh', '--seed', `127.0.0.1:${seedServer.clusterPort}`, ...p()],
      'ERR-BOOT-0012',
      'node8',
    ],
  ];

  it.each(cases)('%s', async (_what, args, id, folder) => {
    const df = join(root.path, folder);
    const r = await runCli([...args(), '--datafolder', df], { cwd: root.path, env });
    expect(r.exitCode, r.stderr).toBe(2);
    const errorLines = r.errLines.filter((l) => l.startsWith('error['));
    expect(errorLines).toHaveLength(1);
    expect(errorLines[0]).toMatch(new RegExp(`^error\\[${id}\\]: `));
    expect(r.errLines.filter((l) => !l.startsWith('hint:') && !l.startsWith('error['))).toEqual([]);
    expect(existsSync(df), 'data folder must not be created').toBe(false);
    expect(await listening(ports[0]!)).toBe(false);
  });

  it('a data folder that is a file', async () => {
    const r = await runCli(['up', '--cluster', 'c', '--seed', 'a', ...p(), '--datafolder', join(root.path, 'a-file')], { cwd: root.path, env });
    expect(r.exitCode).toBe(2);
    expect(r.errLines[0]).toMatch(/^error\[ERR-BOOT-0008\]: .*is not a folder/);
    const r2 = await runCli(['up', '--cluster', 'c', '--seed', 'a', ...p(), '--datafolder', join(root.path, 'a-file', 'sub')], { cwd: root.path, env });
    expect(r2.exitCode).toBe(2);
    expect(r2.errLines[0]).toMatch(/^error\[ERR-BOOT-0008\]: /);
    expect(await listening(ports[0]!)).toBe(false);
  });

  it('down without --confirm does nothing (exit 3); with a missing pid file it is a clear error', async () => {
    const r = await runCli(['down', '--datafolder', join(root.path, 'none')], { cwd: root.path, env });
    expect(r.exitCode).toBe(3);
    expect(r.errLines[0]).toMatch(/^error\[ERR-CORE-0005\]/);
    const r2 = await runCli(['down', '--confirm', '--datafolder', root.path], { cwd: root.path, env });
    expect(r2.exitCode).toBe(1);
    expect(r2.errLines[0]).toMatch(/^error\[ERR-BOOT-0006\]: no pid file/);
    writeFileSync(join(root.path, 'nats-server.pid'), '999999\n');
    const r3 = await runCli(['down', '--confirm', '--datafolder', root.path], { cwd: root.path, env });
    expect(r3.exitCode).toBe(1);
    expect(r3.errLines[0]).toMatch(/^error\[ERR-BOOT-0006\]: .*stale pid file/);
  });
});
