import { describe, expect, it } from 'vitest';
import { formatHostPort, parseHostPort, parsePort, parseSeeds, routeUrl, validateName } from '../../src/domain/seeds.js';
import { NbsError } from '../../src/domain/errors.js';

function errOf(f: () => unknown): NbsError {
  try {
    f();
  } catch (e) {
    return e as NbsError;
  }
  throw new Error('expected an error');
}

describe('seeds and ports', () => {
  it('host-only seeds take the cluster port; host:port keeps its own', () => {
    expect(parseSeeds(['a', 'b:7000', 'nats-route://c:6300', '[::1]:6222', '[fe80::1]'], 6222)).toEqual([
      { host: 'a', port: 6222 },
      { host: 'b', port: 7000 },
      { host: 'c', port: 6300 },
      { host: '::1', port: 6222 },
      { host: 'fe80::1', port: 6222 },
    ]);
  });

  it('drops duplicate seeds, keeps order', () => {
    expect(parseSeeds(['a', 'a:6222', 'b'], 6222).map(formatHostPort)).toEqual(['a:6222', 'b:6222']);
  });

  it('renders IPv6 route URLs with brackets', () => {
    expect(routeUrl({ host: '::1', port: 6222 })).toBe('nats-route://[::1]:6222');
  });

  it.each(['a:b:c', 'a:', ':6222', 'a b', 'a:0', 'a:70000', 'a:-1', 'http://a:1', 'user@a', '::1', '[nothex]:1', 'a/b'])('refuses seed %j with exit 2', (s) => {
    const e = errOf(() => parseSeeds([s], 6222));
    expect(e).toBeInstanceOf(NbsError);
    expect(e.exitCode).toBe(2);
    expect(e.id).toBe('ERR-BOOT-0001');
  });

  it.each([
    ['0', /out of range/],
    ['70000', /out of range/],
    ['12ab', /not a port number/],
  ])('parsePort(%j) refuses', (v, re) => {
    expect(() => parsePort(v, '--client-port')).toThrow(re);
  });

  it('validates names: no spaces, no wildcards, no control characters', () => {
    expect(validateName('node-1.example', '--server-name')).toBe('node-1.example');
    for (const bad of ['my cluster', '', 'a\tb', 'a*', 'a>', 'x\u0001']) {
      expect(errOf(() => validateName(bad, '--cluster')).exitCode).toBe(2);
    }
  });

  it('parseHostPort takes the default port for a host alone', () => {
    expect(parseHostPort('0.0.0.0', 6222, '--listen')).toEqual({ host: '0.0.0.0', port: 6222 });
  });
});
