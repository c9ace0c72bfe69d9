import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { resolveConnection } from '../../src/infra/connection-options.js';
import { NbsError } from '../../src/domain/errors.js';
import { tempDir } from '../support/nats-harness.js';

describe('connection options → ConnectionSpec', () => {
  let home: { path: string; remove: () => Promise<void> };
  beforeEach(async () => {
    home = await tempDir('nbs-home-');
  });
  afterEach(async () => home.remove());

  const env = () => ({ home: home.path, cwd: '/work' });
  const writeContext = async (name: string, body: object, select = false) => {
    const dir = join(home.path, '.config', 'nats', 'context');
    await mkdir(dir, { recursive: true });
    await writeFile(join(dir, `${name}.json`), JSON.stringify(body));
    if (select) await writeFile(join(home.path, '.config', 'nats', 'context.txt'), `${name}\n`);
  };

  it('defaults to nats://127.0.0.1:4222 without options or a selected context', async () => {
    expect(await resolveConnection({}, env())).toEqual({ spec: { servers: ['nats://127.0.0.1:4222'] }, source: 'default' });
  });

  it('uses the selected nats CLI context when no option is given', async () => {
    await writeContext('prod', { url: 'nats://a:4222,nats://b:4222', creds: '~/keys/app.creds', description: 'x' }, true);
    const r = await resolveConnection({}, env());
    expect(r.source).toBe('context prod (selected)');
    expect(r.spec).toEqual({ servers: ['nats://a:4222', 'nats://b:4222'], credsFile: join(home.path, 'keys/app.creds') });
  });

  it('--context NAME gives defaults; explicit options win; explicit credentials replace the context ones', async () => {
    await writeContext('dr', { url: 'nats://dr:4222', user: 'ctxuser', password: 'ctxpw' });
    expect((await resolveConnection({ context: 'dr' }, env())).spec).toEqual({ servers: ['nats://dr:4222'], user: 'ctxuser', password: 'ctxpw' });
    expect((await resolveConnection({ context: 'dr', server: 'nats://x:1' }, env())).spec.servers).toEqual(['nats://x:1']);
    const r = await resolveConnection({ context: 'dr', nkey: 'seed.nk' }, env());
    expect(r.spec).toEqual({ servers: ['nats://dr:4222'], nkeyFile: '/work/seed.nk' });
  });

  it('explicit --user/--password and --creds', async () => {
    expect((await resolveConnection({ server: 'h:4222', user: 'u', password: 'p' }, env())).spec).toEqual({ servers: ['h:4222'], user: 'u', password: 'p' });
    expect((await resolveConnection({ creds: 'a.creds' }, env())).spec.credsFile).toBe('/work/a.creds');
  });

  it('refuses contradictory options and unknown or unsafe contexts (exit 2)', async () => {
    const id = async (p: Promise<unknown>) => p.then(() => 'resolved', (e: unknown) => (e instanceof NbsError ? `${e.id}/${e.exitCode}` : String(e)));
    expect(await id(resolveConnection({ creds: 'a', nkey: 'b' }, env()))).toBe('ERR-CORE-0004/2');
    expect(await id(resolveConnection({ password: 'p' }, env()))).toBe('ERR-CORE-0004/2');
    expect(await id(resolveConnection({ context: 'missing' }, env()))).toBe('ERR-CORE-0004/2');
    expect(await id(resolveConnection({ context: '../etc/passwd' }, env()))).toBe('ERR-CORE-0004/2');
  });
});
