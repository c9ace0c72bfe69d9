import { describe, expect, it } from 'vitest';
import { clusterView, distinctRouteNames } from '../../src/domain/cluster-view.js';

const varz = { server_id: 'NID', server_name: 'n1', version: '2.9.10', port: 4222, http_port: 8222, cluster: { name: 'c', cluster_port: 6222 }, jetstream: {} };

describe('cluster view (pure)', () => {
  it('lists this node, the leader and the other peers with current/offline/lag', () => {
    const v = clusterView({
      varz,
      jsz: {
        meta_cluster: {
          name: 'c',
          leader: 'n2',
          cluster_size: 3,
          replicas: [
            { name: 'n2', current: true, active: 250_000_000, lag: 0 },
            { name: 'n3', current: false, offline: true, active: 9_000_000_000, lag: 12 },
          ],
        },
      },
      routez: { routes: [{ remote_id: 'A', remote_name: 'n2' }, { remote_id: 'A', remote_name: 'n2' }, { remote_id: 'B', remote_name: 'n3' }] },
      healthz: { status: 'ok' },
    });
    expect(v.meta_leader).toBe('n2');
    expect(v.cluster_name).toBe('c');
    expect(v.listening).toEqual({ client: 4222, cluster: 6222, http: 8222 });
    expect(v.peers).toEqual([
      { name: 'n1', self: true, leader: false, current: true, offline: false, lag: null, active_ms: null },
      { name: 'n2', self: false, leader: true, current: true, offline: false, lag: 0, active_ms: 250 },
      { name: 'n3', self: false, leader: false, current: false, offline: true, lag: 12, active_ms: 9000 },
    ]);
    expect(v.routes).toEqual(['n2', 'n3']);
    expect(v.peers_partial).toBe(false);
    expect(v.health).toEqual({ status: 'ok', error: null });
  });

  it('adds the leader when the endpoint does not list it, and reports no leader as null', () => {
    const v = clusterView({ varz, jsz: { meta_cluster: { leader: 'n9', cluster_size: 2 } } });
    expect(v.peers.map((p) => [p.name, p.leader])).toEqual([['n1', false], ['n9', true]]);
    expect(clusterView({ varz, jsz: { meta_cluster: { leader: 'n9', cluster_size: 3 } } }).peers_partial).toBe(true);
    const none = clusterView({ varz, jsz: { meta_cluster: { cluster_size: 2 } } });
    expect(none.meta_leader).toBeNull();
    expect(none.peers).toEqual([{ name: 'n1', self: true, leader: false, current: false, offline: false, lag: null, active_ms: null }]);
  });

  it('has no peers for a standalone JetStream server (no meta group)', () => {
    const v = clusterView({ varz: { server_name: 'solo', jetstream: {}, cluster: {} }, jsz: {}, routez: { routes: [] } });
    expect([v.jetstream, v.meta_leader, v.cluster_size, v.peers, v.peers_partial, v.cluster_name]).toEqual([true, null, null, [], false, null]);
  });

  it('has no peers when JetStream is off', () => {
    const v = clusterView({ varz: { server_name: 'n1' }, jsz: null, routez: null });
    expect([v.jetstream, v.peers, v.routes, v.health]).toEqual([false, [], [], null]);
  });

  it('counts pooled routes once per peer, by name or id', () => {
    expect(distinctRouteNames({ routes: [{ remote_id: 'X' }, { remote_id: 'X' }, { remote_id: 'Y', remote_name: 'b' }] })).toEqual(['X', 'b']);
    expect(distinctRouteNames(null)).toEqual([]);
  });
});
