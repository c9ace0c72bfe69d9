import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { tempDir } from '../support/nats-harness.js';
import { fakeServer } from '../app/fake-binaries.js';
import { runCli } from '../support/cli-run.js';

/** Every file and folder under dir (relative paths, sorted): proves a command wrote nothing. */
async function listTree(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (rel: string) => {
    for (const e of await readdir(join(dir, rel), { withFileTypes: true })) {
      const p = rel ? `${rel}/${e.name}` : e.name;
      out.push(p);
      if (e.isDirectory()) await walk(p);
    }
  };
  await walk('');
  return out.sort();
}

/**
 * Bad config input: exit 2, one line `error[ERR-CORE-000x]: …` naming the key or file (plus the
 * hint line), nothing on stdout, nothing written. Needs the built CLI (npx tsc -p tsconfig.json).
 */
describe('config file errors (built CLI)', () => {
  let root: string;
  let remove: () => Promise<void>;
  let cwd: string;
  let env: Record<string, string | undefined>;
  let n = 0;

  beforeAll(async () => {
    ({ path: root, remove } = await tempDir('nbs-cfgerr-'));
  });
  afterAll(async () => remove());
  beforeEach(async () => {
    cwd = (await tempDir('nbs-cfgerr-cwd-')).path;
    env = { PATH: process.env['PATH'], HOME: root };
  });

  async function configFile(text: string): Promise<string> {
    const p = join(cwd, `c${++n}.json`);
    await writeFile(p, text);
    return p;
  }

  async function expectBadInput(args: string[], id: string, pattern: RegExp) {
    const before = await listTree(cwd);
    const r = await runCli(args, { cwd, env });
    expect(r.exitCode, r.stderr).toBe(2);
    expect(r.stdout).toBe('');
    expect(r.errLines).toHaveLength(2);
    expect(r.errLines[0]).toMatch(new RegExp(`^error\\[${id}\\]: `));
    expect(r.errLines[0]).toMatch(pattern);
    expect(r.errLines[1]).toMatch(/^hint: /);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace without --debug
    expect(await listTree(cwd)).toEqual(before);
    return r;
  }

  it('rejects an unknown key, naming it and the file', async () => {
    const f = await configFile('{"nats_server_pth": "/x"}');
    await expectBadInput(['status', '--config', f], 'ERR-CORE-0002', new RegExp(`${f}.*unknown key "nats_server_pth"`));
  });

  it('rejects a wrong type, naming the key (also nested)', async () => {
    const f = await configFile('{"client_port": "4222"}');
    await expectBadInput(['status', '--config', f], 'ERR-CORE-0002', /key "client_port" must be integer/);
    const g = await configFile('{"seeds": ["a", 7]}');
    await expectBadInput(['status', '--config', g], 'ERR-CORE-0002', /key "seeds\.1" must be string/);
  });

  it('rejects malformed JSON, naming the file', async () => {
    const f = await configFile('{"cluster": "a",}');
    await expectBadInput(['status', '--config', f], 'ERR-CORE-0002', new RegExp(`config file ${f} is not valid JSON`));
  });

  it('rejects a missing --config file, naming it', async () => {
    await expectBadInput(['status', '--config', 'nope.json'], 'ERR-CORE-0006', new RegExp(`${join(cwd, 'nope.json')} does not exist`));
  });

  it('rejects an invalid ./nats-config.json found implicitly', async () => {
    await writeFile(join(cwd, 'nats-config.json'), '{"http_port": 70000}');
    await expectBadInput(['status'], 'ERR-CORE-0002', /nats-config\.json: key "http_port" must be <= 65535/);
  });

  it('stops up before it writes anything (no data folder, no server)', async () => {
    const f = await configFile('{"bogus": 1}');
    await expectBadInput(['up', '--config', f, '--datafolder', 'data', '--cluster', 'c', '--seed', '127.0.0.1:1', '--detach'], 'ERR-CORE-0002', /unknown key "bogus"/);
    const g = await configFile('{"client_port": -1}');
    await expectBadInput(['up', '--datafolder', 'data', '--detach', '--config', g], 'ERR-CORE-0002', /key "client_port" must be >= 1/);
  });

  it('with --json also prints the error object on stdout', async () => {
    const f = await configFile('{"bogus": 1}');
    const r = await runCli(['status', '--json', '--config', f], { cwd, env });
    expect(r.exitCode).toBe(2);
    expect(JSON.parse(r.stdout)).toMatchObject({ schema_version: 1, ok: false, error: { id: 'ERR-CORE-0002', exit_code: 2 } });
  });

  it('accepts --config before and after the command', async () => {
    const fake = await fakeServer(join(cwd, 'bin'), '9.9.7');
    const f = await configFile(JSON.stringify({ nats_server_path: fake }));
    for (const args of [['--config', f, 'status', '--json'], ['status', '--json', '--config', f], ['status', `--config=${f}`, '--json']]) {
      const r = await runCli(args, { cwd, env });
      expect(r.exitCode, `${args.join(' ')}: ${r.stderr}`).toBe(0);
      const s = JSON.parse(r.stdout) as { config: { path: string; source: string }; binary: { source: string; version: string } };
      expect(s.config).toEqual({ path: f, source: 'flag' });
      expect([s.binary.source, s.binary.version]).toEqual(['config', '9.9.7']);
    }
  });

  it('doctor reports an invalid config file as a failed check (exit 1) and runs the other checks', async () => {
    const f = await configFile('{"bogus": 1}');
    const r = await runCli(['doctor', '--json', '--config', f, '--datafolder', join(cwd, 'data')], { cwd, env });
    expect(r.exitCode).toBe(1);
    const d = JSON.parse(r.stdout) as { ok: boolean; checks: Array<{ id: string; status: string; message: string }>; config: { error: string } };
    expect(d.ok).toBe(false);
    const cfg = d.checks.find((c) => c.id === 'config');
    expect(cfg?.status).toBe('fail');
    expect(cfg?.message).toMatch(/ERR-CORE-0002.*unknown key "bogus"/);
    expect(d.checks.find((c) => c.id === 'resolution')?.status).toBe('ok');
    expect(d.config.error).toMatch(/bogus/);
  });
});
