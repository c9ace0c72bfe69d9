import { describe, expect, it } from 'vitest';
import { diagnoseServerLog, type ReadinessFacts } from '../../src/domain/server-log-diagnosis.js';

// Lines as nats-server 2.9.10 writes them (captured on this machine).
const running: ReadinessFacts = { exited: null, listening: true, seeds: 3, routes: 0, metaLeader: null, healthError: null };

describe('diagnoseServerLog', () => {
  it('port in use', () => {
    const log = '[1] 2026/12/04 15:32:53.914388 [FTL] Error listening on port: 0.0.0.0:14231, "listen tcp 0.0.0.0:14231: bind: address already in use"';
    const d = diagnoseServerLog(log, { ...running, exited: 'code 1', listening: false });
    expect(d.map((x) => x.kind)).toEqual(['exited', 'port-in-use']);
    expect(d[1]!.message).toContain('0.0.0.0:14231');
  });

  it('route refused, unresolvable host, and no meta leader yet', () => {
    const log = [
      '[1] [ERR] Error trying to connect to route (attempt 1): dial tcp 127.0.0.1:16239: connect: connection refused',
      '[1] [ERR] Error trying to connect to route (attempt 1): lookup for host "nohost": lookup nohost on 10.0.0.53:53: no such host',
      '[1] [WRN] Waiting for routing to be established...',
    ].join('\n');
    const kinds = diagnoseServerLog(log, running).map((x) => x.kind);
    expect(kinds).toEqual(['route-refused', 'route-unresolvable', 'no-meta-leader']);
  });

  it('cluster name mismatch and duplicate server name', () => {
    const log = [
      '[1] [ERR] 127.0.0.1:50666 - rid:20 - Rejecting connection, cluster name "other" does not match "c1"',
      '[1] [INF] 127.0.0.1:50666 - rid:20 - Router connection closed: Cluster Name Conflict',
      '[1] [ERR] 127.0.0.1:50652 - rid:19 - Remote server has a duplicate name: "n1"',
      '[1] [INF] 127.0.0.1:50652 - rid:19 - Router connection closed: Duplicate Server Name',
    ].join('\n');
    const d = diagnoseServerLog(log, running);
    expect(d.map((x) => x.kind)).toEqual(['cluster-name-mismatch', 'duplicate-server-name', 'no-meta-leader']);
    expect(d[1]!.message).toContain('"n1"');
  });

  it('meta leader known but this node not current', () => {
    const d = diagnoseServerLog('', { ...running, metaLeader: 'n2', routes: 2, healthError: 'JetStream is not current with the meta leader' });
    expect(d.map((x) => x.kind)).toEqual(['not-current']);
  });

  it('nothing recognisable', () => {
    expect(diagnoseServerLog('', { ...running, listening: false }).map((x) => x.kind)).toEqual(['unknown']);
  });
});
