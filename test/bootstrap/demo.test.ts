/**
 * demo: by default a secured 3-node cluster (identity from init, nodes with the bundle) and a
 * controller on this machine; Ctrl-C stops the controller and every node; --detach leaves them
 * running (the controller as a background process with a pid file) and prints how to stop them.
 * --no-controller: three open nodes, as the first demo.
 * (All demo tests live in this one file: demos prefer ports 4222-4224, so they must not overlap.)
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, nkeyAuthenticator, type NatsConnection } from '@nats-io/transport-node';
import { jetstream, jetstreamManager } from '@nats-io/jetstream';
import { monitorGet, tempDir, waitFor, type JszMeta } from '../support/nats-harness.js';
import { runCli, spawnCli } from '../support/cli-run.js';
import { NodeTracker, cliEnv } from './cli-nodes.js';
import { validate } from '../../src/infra/json-schema.js';
import { isProcessAlive } from '../../src/infra/process-check.js';

const tracker = new NodeTracker();
/** Controller processes a test started (detached demo): killed in afterAll whatever happened. */
const controllerPids = new Set<number>();
let root: { path: string; remove: () => Promise<void> };
let env: Record<string, string>;

beforeAll(async () => {
  root = await tempDir('nbs-demo-');
  env = cliEnv(root.path);
  for (const d of ['fg', 'bg', 'open-fg', 'open-bg']) for (const n of [1, 2, 3]) tracker.add(join(root.path, d, `node${n}`));
});

afterAll(async () => {
  for (const pid of controllerPids) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  }
  await tracker.killNodes();
  await root.remove();
});

interface DemoJson {
  secured: boolean;
  identity: string | null;
  nodes: Array<{ name: string; pid: number; client_url: string; monitoring_url: string; datafolder: string }>;
  controller: null | { mode: string; status: string; pid: number; log_file: string; pid_file: string | null };
  contexts: Array<{ name: string; file: string; user: string }>;
  stop_commands: string[];
  next_steps: Array<{ what: string; commands: string[] }>;
  meta_leader: string;
}

async function nodePid(folder: string): Promise<number> {
  return Number.parseInt((await readFile(join(folder, 'nats-server.pid'), 'utf8')).trim(), 10);
}

async function clientUrls(dir: string): Promise<string[]> {
  const urls: string[] = [];
  for (const n of [1, 2, 3]) {
    const st = JSON.parse(await readFile(join(dir, `node${n}`, 'state.json'), 'utf8')) as { ports: { client: number } };
    urls.push(`nats://127.0.0.1:${st.ports.client}`);
  }
  return urls;
}

/** Connect the way `nats --context FILE` does: the context's url and its nkey seed file. */
async function connectWithContext(file: string): Promise<NatsConnection> {
  const ctx = JSON.parse(await readFile(file, 'utf8')) as { url: string; nkey: string };
  const seed = (await readFile(ctx.nkey, 'utf8')).trim();
  return connect({ servers: ctx.url.split(','), authenticator: nkeyAuthenticator(new TextEncoder().encode(seed)), reconnect: false });
}

async function doctorController(datafolder: string): Promise<{ status: string; message: string }> {
  const r = await runCli(['doctor', '--controller', '--datafolder', datafolder, '--json'], { cwd: root.path, env });
  const j = r.json<{ checks: Array<{ id: string; status: string; message: string }> }>();
  const c = j.checks.find((x) => x.id === 'controller');
  if (!c) throw new Error(`no controller check: ${r.stdout}`);
  return c;
}

describe('demo (secured, with a controller)', () => {
  it('forms a secured cluster with a controller; app user works, anonymous is refused; Ctrl-C stops everything', async () => {
    const dir = join(root.path, 'fg');
    const { child, out, err, exited } = spawnCli(['demo', '--dir', dir], { cwd: root.path, env });
    try {
      await waitFor('demo ready', async () => {
        if (child.exitCode !== null) throw Object.assign(new Error(`demo exited ${child.exitCode}: ${err()}`), { fatal: true });
        return out().includes('Ctrl-C stops the cluster and the controller');
      }, 60_000, 100);
      expect(out()).toMatch(/secured cluster "demo": 3 nodes and a controller/);
      // What the user is told to run, with the real paths.
      const ctxDir = join(dir, 'identity', 'contexts');
      expect(out()).toContain(`nats --context ${join(ctxDir, 'nbs-demo-app.json')} pub hello world`);
      expect(out()).toContain(`nats --context ${join(ctxDir, 'nbs-demo-control.json')} sub 'nbs.>'`);
      expect(out()).toContain(`cp ${ctxDir}/*.json ~/.config/nats/context/`);
      expect(out()).toContain(`nats-bootstrap leave --confirm --datafolder ${join(dir, 'node3')}`);
      expect(out()).toContain(`nats-bootstrap doctor --controller --datafolder ${join(dir, 'node1')}`);
      // The controller logs to its file, not to the terminal.
      expect(out() + err()).not.toContain('"level":');
      expect(await readFile(join(dir, 'controller.log'), 'utf8')).toContain('"msg":"controller started"');

      const pids = await Promise.all([1, 2, 3].map((n) => nodePid(join(dir, `node${n}`))));
      const urls = await clientUrls(dir);

      // The controller answers a ping made with the node credential.
      const check = await doctorController(join(dir, 'node1'));
      expect(check.status, check.message).toBe('ok');

      // The application user (through the context file init wrote) creates an R3 stream.
      const nc = await connectWithContext(join(ctxDir, 'nbs-demo-app.json'));
      try {
        const jsm = await jetstreamManager(nc);
        const si = await jsm.streams.add({ name: 'DEMO', subjects: ['demo.>'], num_replicas: 3 });
        expect(si.config.num_replicas).toBe(3);
        expect((await jetstream(nc).publish('demo.x', 'y')).seq).toBe(1);
      } finally {
        await nc.close();
      }

      // A client without credentials is refused by the server.
      const anon = await connect({ servers: urls, reconnect: false }).then(
        async (c) => {
          await c.close();
          return null;
        },
        (e: unknown) => e as Error,
      );
      expect(anon, 'anonymous connection must fail').not.toBeNull();
      expect(String(anon?.message ?? anon)).toMatch(/authorization/i);

      child.kill('SIGINT');
      expect(await exited, err()).toBe(0);
      expect(out()).toMatch(/demo stopped \(data kept in /);
      expect(err()).toContain('demo: stopping the controller');
      // No nats-server and no controller left: every node pid and the demo process (which ran
      // the controller) are gone.
      for (const pid of pids) expect(await isProcessAlive(pid), `nats-server ${pid}`).toBe(false);
      expect(await isProcessAlive(child.pid!), 'demo/controller process').toBe(false);
      for (const n of [1, 2, 3]) expect(existsSync(join(dir, `node${n}`, 'nats-server.pid'))).toBe(false);
      expect(await readFile(join(dir, 'controller.log'), 'utf8')).toContain('"msg":"controller stopped"');
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--detach leaves the nodes and a background controller running, says how to stop them; the printed leave works', async () => {
    const dir = join(root.path, 'bg');
    const r = await runCli(['demo', '--detach', '--dir', dir, '--json'], { cwd: root.path, env });
    const j = r.json<DemoJson>();
    if (j.controller?.pid) controllerPids.add(j.controller.pid);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(validate('demo.schema.json', j)).toEqual([]);
    expect(j.secured).toBe(true);
    expect(j.identity).toBe(join(dir, 'identity'));
    expect(j.contexts.map((c) => c.user).sort()).toEqual(['app-user', 'controller', 'system']);
    expect(j.controller).toMatchObject({ mode: 'detached', status: 'started', log_file: join(dir, 'controller.log'), pid_file: join(dir, 'controller.pid') });
    const cpid = j.controller!.pid;
    expect(Number((await readFile(join(dir, 'controller.pid'), 'utf8')).trim())).toBe(cpid);
    expect(await isProcessAlive(cpid)).toBe(true);
    expect(j.stop_commands).toEqual([`kill ${cpid}`, ...[1, 2, 3].map((n) => `nats-bootstrap down --confirm --datafolder ${join(dir, `node${n}`)}`)]);

    // The open demo is not started over a secured folder (exit 2, nothing changed).
    const mixed = await runCli(['demo', '--detach', '--no-controller', '--dir', dir], { cwd: root.path, env });
    expect(mixed.exitCode, mixed.stderr).toBe(2);
    expect(mixed.stderr).toMatch(/error\[ERR-CORE-0004\]: the demo folder .* holds a secured demo/);
    expect(await isProcessAlive(cpid)).toBe(true);

    const check = await doctorController(join(dir, 'node2'));
    expect(check.status, check.message).toBe('ok');

    // The safe leave the demo prints, as printed.
    const leaveCmd = j.next_steps.flatMap((s) => s.commands).find((c) => c.startsWith('nats-bootstrap leave'))!;
    expect(leaveCmd).toBe(`nats-bootstrap leave --confirm --datafolder ${join(dir, 'node3')}`);
    const node3 = await nodePid(join(dir, 'node3'));
    const leave = await runCli(leaveCmd.split(' ').slice(1), { cwd: root.path, env });
    expect(leave.exitCode, leave.stderr).toBe(0);
    expect(await isProcessAlive(node3)).toBe(false);
    const port = Number(new URL(j.nodes[0]!.monitoring_url).port);
    const jsz = await waitFor('meta group of 2', async () => {
      const v = await monitorGet<JszMeta>(port, '/jsz');
      return v.meta_cluster?.leader && v.meta_cluster.cluster_size === 2 ? v : undefined;
    });
    expect(jsz.meta_cluster?.cluster_size).toBe(2);

    // Stop as printed: kill <pid> (graceful), then down.
    process.kill(cpid, 'SIGTERM');
    await waitFor('controller exited', async () => !(await isProcessAlive(cpid)), 15_000, 100);
    expect(await readFile(join(dir, 'controller.log'), 'utf8')).toContain('"msg":"controller stopped"');
    const stops = await Promise.all([1, 2].map((n) => runCli(['down', '--confirm', '--datafolder', join(dir, `node${n}`)], { cwd: root.path, env })));
    for (const s of stops) expect(s.exitCode, s.stderr).toBe(0);
  });
});

describe('demo --no-controller (open nodes, as before)', () => {
  it('runs three open nodes in the foreground and stops them all on Ctrl-C', async () => {
    const dir = join(root.path, 'open-fg');
    const { child, out, err, exited } = spawnCli(['demo', '--no-controller', '--dir', dir], { cwd: root.path, env });
    try {
      await waitFor('demo ready', async () => out().includes('Ctrl-C stops the cluster'), 60_000, 100);
      expect(out()).toMatch(/meta leader node\d/);
      expect(out()).not.toContain('controller');
      expect(existsSync(join(dir, 'identity'))).toBe(false);
      expect(out()).toMatch(/nats -s nats:\/\/127\.0\.0\.1:\d+,nats:\/\/127\.0\.0\.1:\d+,nats:\/\/127\.0\.0\.1:\d+ stream ls/);
      const servers = /nats -s (\S+) stream ls/.exec(out())![1]!.split(',');
      const pids = await Promise.all([1, 2, 3].map((n) => nodePid(join(dir, `node${n}`))));
      const nc = await connect({ servers });
      try {
        await jetstreamManager(nc).then((m) => m.streams.add({ name: 'DEMO', subjects: ['demo.>'], num_replicas: 3 }));
        expect((await jetstream(nc).publish('demo.x', 'y')).seq).toBe(1);
      } finally {
        await nc.close();
      }
      child.kill('SIGINT');
      expect(await exited, err()).toBe(0);
      expect(out()).toMatch(/demo stopped \(data kept in /);
      for (const pid of pids) expect(await isProcessAlive(pid)).toBe(false);
      for (const n of [1, 2, 3]) expect(existsSync(join(dir, `node${n}`, 'nats-server.pid'))).toBe(false);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('--detach leaves the nodes running and says how to stop them', async () => {
    const dir = join(root.path, 'open-bg');
    const r = await runCli(['demo', '--no-controller', '--detach', '--dir', dir, '--json'], { cwd: root.path, env });
    expect(r.exitCode, r.stderr).toBe(0);
    const j = r.json<DemoJson>();
    expect(validate('demo.schema.json', j)).toEqual([]);
    expect(j.secured).toBe(false);
    expect(j.controller).toBeNull();
    expect(j.nodes).toHaveLength(3);
    expect(j.stop_commands).toEqual([1, 2, 3].map((n) => `nats-bootstrap down --confirm --datafolder ${join(dir, `node${n}`)}`));
    const port = Number(new URL(j.nodes[0]!.monitoring_url).port);
    const jsz = await waitFor('meta leader', async () => {
      const v = await monitorGet<JszMeta>(port, '/jsz');
      return v.meta_cluster?.leader ? v : undefined;
    });
    expect(jsz.meta_cluster?.cluster_size).toBe(3);
    // A secured demo is not started over an open folder (exit 2).
    const mixed = await runCli(['demo', '--detach', '--dir', dir], { cwd: root.path, env });
    expect(mixed.exitCode, mixed.stderr).toBe(2);
    expect(existsSync(join(dir, 'identity'))).toBe(false);
    const stops = await Promise.all(j.nodes.map((n) => runCli(['down', '--confirm', '--datafolder', n.datafolder], { cwd: root.path, env })));
    for (const s of stops) expect(s.exitCode, s.stderr).toBe(0);
  });
});
