import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../support/nats-harness.js';
import { runCli } from '../support/cli-run.js';

/** The DESIGN §4 contract as the built CLI shows it. */
const CONTRACT = ['up', 'join', 'start', 'down', 'leave', 'status', 'doctor', 'init', 'controller', 'backup', 'restore', 'service', 'demo'];
const GLOBAL_FLAGS = ['--config <file>', '--nats-server-path <path>', '--json', '--debug', '--help', '--version'];

describe('CLI contract (built CLI)', () => {
  let dir: { path: string; remove: () => Promise<void> };
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    dir = await tempDir('nbs-help-');
    env = { PATH: process.env['PATH'], HOME: dir.path };
  });
  afterAll(async () => dir.remove());

  it('--help lists every command of the contract and the global flags', async () => {
    const r = await runCli(['--help'], { cwd: dir.path, env });
    expect(r.exitCode).toBe(0);
    const commands = r.stdout.split('Commands:')[1]!.split('\n\n')[0]!;
    const listed = commands.split('\n').map((l) => l.trim().split(/\s+/)[0]).filter(Boolean);
    expect(listed).toEqual(CONTRACT);
    for (const f of GLOBAL_FLAGS) expect(r.stdout).toContain(f);
  });

  it('--version prints the package version', async () => {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version: string };
    const r = await runCli(['--version'], { cwd: dir.path, env });
    expect(r.exitCode).toBe(0);
    expect(r.stdout).toContain(pkg.version);
  });

  it('status and doctor document --datafolder in their help', async () => {
    for (const cmd of ['status', 'doctor']) {
      const r = await runCli([cmd, '--help'], { cwd: dir.path, env });
      expect(r.exitCode).toBe(0);
      expect(r.stdout).toContain('--datafolder <dir>');
    }
  });

  it('a command not built yet answers error[ERR-CORE-0003] and exit 1 (service)', async () => {
    const r = await runCli(['service', 'status'], { cwd: dir.path, env });
    expect(r.exitCode).toBe(1);
    expect(r.errLines[0]).toBe('error[ERR-CORE-0003]: service: not available yet');
    expect(r.errLines[1]).toMatch(/^hint: /);
  });

  it('an unknown command is bad usage: error[ERR-CORE-0004], exit 2', async () => {
    const r = await runCli(['frobnicate'], { cwd: dir.path, env });
    expect(r.exitCode).toBe(2);
    expect(r.errLines[0]).toBe('error[ERR-CORE-0004]: unknown command "frobnicate"');
  });

  it('start prints the deprecation warning on stderr first', async () => {
    // Conflicting flags and no nats-server on PATH: whatever up does with them, it starts nothing.
    // Only the warning is asserted here; up's own behaviour is tested with up.
    const r = await runCli(['start', '--cluster', 'c', '--nats-config', 'x.conf', '--datafolder', 'data'], {
      cwd: dir.path,
      env: { PATH: '', HOME: dir.path },
      timeoutMs: 20_000,
    });
    expect(r.errLines[0]).toMatch(/^warning: "start" is deprecated .*use "nats-bootstrap up"/);
  });
});
