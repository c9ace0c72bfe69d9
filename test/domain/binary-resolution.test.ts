import { describe, expect, it } from 'vitest';
import {
  RESOLUTION_PRIORITY,
  binaryFileName,
  parseServerVersion,
  resolutionCandidates,
  versionAtLeast,
  type ResolutionInputs,
} from '../../src/domain/binary-resolution.js';
import { defaultBinDir } from '../../src/domain/config.js';

const linux = (over: Partial<ResolutionInputs> = {}): ResolutionInputs => ({
  platform: 'linux',
  env: {},
  binDir: '/home/u/.nats-bootstrap/bin',
  cwd: '/work',
  ...over,
});

describe('resolution candidates (pure)', () => {
  it('lists the five stages in the fixed priority order', () => {
    const c = resolutionCandidates(linux({ cliPath: '/a/nats-server', configPath: '/b/nats-server', env: { NATS_SERVER_PATH: '/c/nats-server', PATH: '/d:/e' } }));
    expect(c.map((x) => x.source)).toEqual([...RESOLUTION_PRIORITY]);
    expect(RESOLUTION_PRIORITY).toEqual(['cli', 'config', 'env', 'bin-dir', 'path']);
    expect(c.map((x) => x.paths)).toEqual([
      ['/a/nats-server'],
      ['/b/nats-server'],
      ['/c/nats-server'],
      ['/home/u/.nats-bootstrap/bin/nats-server'],
      ['/d/nats-server', '/e/nats-server'],
    ]);
  });

  it('leaves unset stages empty (reason "not set")', () => {
    const c = resolutionCandidates(linux());
    expect(c.filter((x) => x.paths.length === 0).map((x) => x.source)).toEqual(['cli', 'config', 'env', 'path']);
  });

  it('takes relative cli/env paths from cwd and relative config paths from the config folder', () => {
    const c = resolutionCandidates(linux({ cliPath: 'bin/ns', configPath: 'tools/ns', configDir: '/etc/nbs', env: { NATS_SERVER_PATH: 'x/ns' } }));
    expect(c[0]!.paths).toEqual(['/work/bin/ns']);
    expect(c[1]!.paths).toEqual(['/etc/nbs/tools/ns']);
    expect(c[2]!.paths).toEqual(['/work/x/ns']);
  });

  it('prefers NATS_SERVER_PATH over the compat NATS_SERVER_BIN and names the origin', () => {
    const both = resolutionCandidates(linux({ env: { NATS_SERVER_PATH: '/p', NATS_SERVER_BIN: '/b' } }))[2]!;
    expect([both.origin, both.paths]).toEqual(['NATS_SERVER_PATH', ['/p']]);
    const compat = resolutionCandidates(linux({ env: { NATS_SERVER_BIN: '/b' } }))[2]!;
    expect([compat.origin, compat.paths]).toEqual(['NATS_SERVER_BIN', ['/b']]);
    const empty = resolutionCandidates(linux({ env: { NATS_SERVER_PATH: '', NATS_SERVER_BIN: '' } }))[2]!;
    expect(empty.paths).toEqual([]);
  });

  it('skips empty PATH entries', () => {
    expect(resolutionCandidates(linux({ env: { PATH: ':/usr/bin::' } }))[4]!.paths).toEqual(['/usr/bin/nats-server']);
  });
});

describe('resolution candidates on Windows (platform win32)', () => {
  const win = (over: Partial<ResolutionInputs> = {}): ResolutionInputs => ({
    platform: 'win32',
    env: {},
    binDir: 'C:\\ProgramData\\nats-bootstrap\\bin',
    cwd: 'C:\\work',
    ...over,
  });

  it('uses nats-server.exe', () => {
    expect(binaryFileName('win32')).toBe('nats-server.exe');
    expect(binaryFileName('linux')).toBe('nats-server');
    expect(resolutionCandidates(win())[3]!.paths).toEqual(['C:\\ProgramData\\nats-bootstrap\\bin\\nats-server.exe']);
  });

  it('tries a path given without .exe as is and with .exe; never doubles .exe', () => {
    const c = resolutionCandidates(win({ cliPath: 'C:\\nats\\nats-server', configPath: 'D:\\x\\NATS-SERVER.EXE', configDir: 'D:\\cfg' }));
    expect(c[0]!.paths).toEqual(['C:\\nats\\nats-server', 'C:\\nats\\nats-server.exe']);
    expect(c[1]!.paths).toEqual(['D:\\x\\NATS-SERVER.EXE']);
  });

  it('resolves relative paths with backslashes and accepts UNC and drive paths as absolute', () => {
    const c = resolutionCandidates(win({ cliPath: 'tools\\nats-server.exe', env: { NATS_SERVER_PATH: '\\\\share\\bin\\nats-server.exe' } }));
    expect(c[0]!.paths).toEqual(['C:\\work\\tools\\nats-server.exe']);
    expect(c[2]!.paths).toEqual(['\\\\share\\bin\\nats-server.exe']);
  });

  it('splits PATH (or Path) on ";"', () => {
    expect(resolutionCandidates(win({ env: { Path: 'C:\\bin;;D:\\nats\\' } }))[4]!.paths).toEqual(['C:\\bin\\nats-server.exe', 'D:\\nats\\nats-server.exe']);
    expect(resolutionCandidates(win({ env: { PATH: 'C:\\a' } }))[4]!.paths).toEqual(['C:\\a\\nats-server.exe']);
  });

  it('defaults the managed bin folder to %ProgramData%\\nats-bootstrap\\bin', () => {
    expect(defaultBinDir('win32', 'C:\\Users\\u', { ProgramData: 'E:\\PD' })).toBe('E:\\PD\\nats-bootstrap\\bin');
    expect(defaultBinDir('win32', 'C:\\Users\\u', {})).toBe('C:\\ProgramData\\nats-bootstrap\\bin');
    expect(defaultBinDir('linux', '/home/u', {})).toBe('/home/u/.nats-bootstrap/bin');
  });
});

describe('server version', () => {
  it('parses nats-server --version output', () => {
    expect(parseServerVersion('nats-server: v2.9.10\n')).toBe('2.9.10');
    expect(parseServerVersion('nats-server: v2.11.0-RC.1')).toBe('2.11.0-RC.1');
    expect(parseServerVersion('garbage')).toBeNull();
  });

  it('compares versions numerically', () => {
    expect(versionAtLeast('2.9.10', '2.9.0')).toBe(true);
    expect(versionAtLeast('2.10.0', '2.9.10')).toBe(true);
    expect(versionAtLeast('2.8.4', '2.9.0')).toBe(false);
    expect(versionAtLeast('2.11.2-beta', '2.11.2')).toBe(true);
    expect(versionAtLeast(null, '2.9.0')).toBe(false);
  });
});
