import { describe, expect, it } from 'vitest';
import { buildPlan, type PlanInputs, type UpRequest } from '../../src/domain/bootstrap-plan.js';
import { NbsError } from '../../src/domain/errors.js';
import type { NodeState } from '../../src/domain/node-state.js';

const paths = {
  root: '/d',
  config: '/d/nats-bootstrap.conf',
  pid: '/d/nats-server.pid',
  log: '/d/nats-server.log',
  state: '/d/state.json',
  jetstream: '/d/jetstream',
};

function req(over: Partial<UpRequest> = {}): UpRequest {
  return { command: 'up', seeds: [], detach: true, rejoin: false, service: false, passthrough: [], ...over };
}

function inputs(over: Partial<PlanInputs> = {}, r: Partial<UpRequest> = {}): PlanInputs {
  return { request: req(r), config: {}, state: null, paths, hostname: 'host-a', serverVersion: '2.9.10', now: '2026-01-01T00:00:00.000Z', ...over };
}

function state(over: Partial<NodeState> = {}): NodeState {
  return {
    schema_version: 1,
    server_name: 'a',
    cluster: 'demo',
    mode: 'bootstrap',
    ports: { client: 4222, cluster: 6222, http: 8222 },
    seeds: ['a:6222', 'b:6222', 'c:6222'],
    bundle: null,
    created_at: '2025-01-01T00:00:00.000Z',
    updated_at: '2025-01-01T00:00:00.000Z',
    left: null,
    ...over,
  };
}

function fail(i: PlanInputs): NbsError {
  try {
    buildPlan(i);
  } catch (e) {
    expect(e).toBeInstanceOf(NbsError);
    return e as NbsError;
  }
  throw new Error('expected buildPlan to fail');
}

describe('buildPlan', () => {
  it('identical command on every host: name from the host name, every seed a route', () => {
    const p = buildPlan(inputs({}, { command: 'join', cluster: 'demo', seeds: ['a', 'b', 'c'] }));
    expect(p.serverName).toBe('host-a');
    expect(p.serverConfig?.cluster?.routes).toEqual(['nats-route://a:6222', 'nats-route://b:6222', 'nats-route://c:6222']);
    expect(p.ports).toEqual({ client: 4222, cluster: 6222, http: 8222 });
    expect(p.args).toEqual(['-c', paths.config]);
    expect(p.state.server_name).toBe('host-a');
    expect(p.state.lame_duck).toEqual({ duration_s: 30, grace_period_s: 3 });
    expect(p.serverConfig?.storeDir).toBe('/d');
  });

  it('flags win over the config file; the config file fills the rest', () => {
    const p = buildPlan(
      inputs({ config: { cluster: 'c1', seeds: ['x:7000'], client_port: 5000, lame_duck_duration_s: 40, lame_duck_grace_period_s: 5 } }, { clientPort: '5001' }),
    );
    expect(p.cluster).toBe('c1');
    expect(p.ports.client).toBe(5001);
    expect(p.seeds).toEqual([{ host: 'x', port: 7000 }]);
    expect(p.lameDuck).toEqual({ duration_s: 40, grace_period_s: 5 });
  });

  it('the server name is fixed once chosen', () => {
    const st = state();
    expect(buildPlan(inputs({ state: st, hostname: 'renamed-host' }, { cluster: 'demo' })).serverName).toBe('a');
    const e = fail(inputs({ state: st }, { cluster: 'demo', serverName: 'other' }));
    expect(e.id).toBe('ERR-BOOT-0010');
    expect(e.exitCode).toBe(2);
  });

  it('a re-run without flags reuses the stored cluster, seeds and ports', () => {
    const p = buildPlan(inputs({ state: state({ ports: { client: 1, cluster: 2, http: 3 } }) }));
    expect(p.cluster).toBe('demo');
    expect(p.ports).toEqual({ client: 1, cluster: 2, http: 3 });
    expect(p.seeds.length).toBe(3);
  });

  it.each<[string, Partial<UpRequest>, string]>([
    ['--cluster with --nats-config', { cluster: 'x', natsConfig: '/c.conf' }, 'ERR-BOOT-0003'],
    ['join --cluster without --seed', { command: 'join', cluster: 'x' }, 'ERR-BOOT-0002'],
    ['seed a:b:c', { cluster: 'x', seeds: ['a:b:c'] }, 'ERR-BOOT-0001'],
    ['port 0', { cluster: 'x', clientPort: '0' }, 'ERR-BOOT-0001'],
    ['port 70000', { cluster: 'x', httpPort: '70000' }, 'ERR-BOOT-0001'],
    ['cluster name with a space', { cluster: 'my cluster' }, 'ERR-BOOT-0001'],
    ['same port twice', { cluster: 'x', clientPort: '6222' }, 'ERR-BOOT-0001'],
    ['--seed without --cluster', { seeds: ['a'] }, 'ERR-BOOT-0001'],
    ['--seed with --nats-config', { natsConfig: '/c.conf', seeds: ['a'] }, 'ERR-BOOT-0003'],
    ['-c after --', { cluster: 'x', passthrough: ['-c', 'f'] }, 'ERR-BOOT-0001'],
    ['--listen and --cluster-port disagree', { cluster: 'x', listen: '0.0.0.0:7000', clusterPort: '7001' }, 'ERR-BOOT-0001'],
    ['server name with a space', { cluster: 'x', seeds: ['a'], serverName: 'a b' }, 'ERR-BOOT-0001'],
    ['up --cluster without --seed (JetStream clusters need routes)', { cluster: 'x' }, 'ERR-BOOT-0002'],
  ])('refuses %s (exit 2)', (_what, r, id) => {
    const e = fail(inputs({}, r));
    expect(e.id).toBe(id);
    expect(e.exitCode).toBe(2);
  });

  it('refuses a lame-duck duration below 30 s and a grace period not below the duration', () => {
    expect(fail(inputs({ config: { lame_duck_duration_s: 10 } })).message).toMatch(/below 30/);
    expect(fail(inputs({ config: { lame_duck_duration_s: 30, lame_duck_grace_period_s: 30 } })).message).toMatch(/smaller/);
  });

  it('refuses a data folder of another cluster', () => {
    expect(fail(inputs({ state: state() }, { cluster: 'other' })).message).toMatch(/belongs to cluster "demo"/);
  });

  it('user-managed config: -c FILE, our pid file, monitoring port for readiness', () => {
    const p = buildPlan(inputs({ userConfigHttpPort: 9000 }, { natsConfig: '/etc/nats/my.conf', passthrough: ['-DV'] }));
    expect(p.mode).toBe('user-config');
    expect(p.ports.http).toBe(9000);
    expect(p.args).toEqual(['-c', '/etc/nats/my.conf', '-P', paths.pid, '-DV']);
    const q = buildPlan(inputs({}, { natsConfig: '/etc/nats/my.conf' }));
    expect(q.args).toEqual(['-c', '/etc/nats/my.conf', '-P', paths.pid, '-m', '8222']);
  });
});

describe('left marker and --rejoin', () => {
  const left = { at: '2025-06-01T00:00:00Z', request_id: 'r1', result: 'removed' };

  it('a plain up on a left data folder is refused (exit 3)', () => {
    const e = fail(inputs({ state: state({ left }) }, { cluster: 'demo' }));
    expect(e.id).toBe('ERR-BOOT-0009');
    expect(e.exitCode).toBe(3);
  });

  it('rejoin on 2.9.10: wipe JetStream, new name <name>-r1, old name recorded, marker cleared', () => {
    const p = buildPlan(inputs({ state: state({ left }) }, { cluster: 'demo', rejoin: true }));
    expect(p.rejoin).toEqual({ wipeJetstream: true, previousName: 'a', serverName: 'a-r1', renamed: true });
    expect(p.serverName).toBe('a-r1');
    expect(p.serverConfig?.serverName).toBe('a-r1');
    expect(p.state.left).toBeNull();
    expect(p.state.previous_names).toEqual(['a']);
    expect(p.notes.join('\n')).toMatch(/rejoining as "a-r1" \(was "a"\)/);
  });

  it('a second rejoin counts on from the original name', () => {
    const p = buildPlan(inputs({ state: state({ left, server_name: 'a-r1', previous_names: ['a'] }) }, { rejoin: true }));
    expect(p.serverName).toBe('a-r2');
    expect(p.state.previous_names).toEqual(['a', 'a-r1']);
  });

  it('the original --server-name is still accepted after a rename', () => {
    const p = buildPlan(inputs({ state: state({ server_name: 'a-r1', previous_names: ['a'] }) }, { serverName: 'a' }));
    expect(p.serverName).toBe('a-r1');
  });

  it('rejoin on 2.11.2 or newer keeps the name', () => {
    const p = buildPlan(inputs({ state: state({ left }), serverVersion: '2.11.2' }, { rejoin: true }));
    expect(p.rejoin).toEqual({ wipeJetstream: true, previousName: 'a', serverName: 'a', renamed: false });
    expect(p.state.previous_names).toBeUndefined();
  });

  it('an unknown server version is treated as old (rename)', () => {
    expect(buildPlan(inputs({ state: state({ left }), serverVersion: null }, { rejoin: true })).serverName).toBe('a-r1');
  });

  it('--rejoin without a left marker changes nothing and says so', () => {
    const p = buildPlan(inputs({ state: state() }, { rejoin: true }));
    expect(p.rejoin).toBeNull();
    expect(p.serverName).toBe('a');
    expect(p.notes.join()).toMatch(/not marked as left/);
  });
});
