/**
 * Why did a node not become ready? Reads the nats-server log text (and what the monitoring
 * endpoints said last) and names the likely causes. Pure: the caller reads the log.
 * Messages matched are those of nats-server 2.9.x–2.11.x.
 */
export type DiagnosisKind =
  | 'exited'
  | 'port-in-use'
  | 'route-refused'
  | 'route-unresolvable'
  | 'route-unreachable'
  | 'cluster-name-mismatch'
  | 'duplicate-server-name'
  | 'no-meta-leader'
  | 'not-current'
  | 'config-error'
  | 'unknown';

export interface Diagnosis {
  kind: DiagnosisKind;
  message: string;
}

export interface ReadinessFacts {
  /** Exit code (or signal name) when the process is gone, else null. */
  exited: string | null;
  listening: boolean;
  /** Seeds configured (including this node itself, if listed). */
  seeds: number;
  /** Distinct peers with an established route. */
  routes: number;
  metaLeader: string | null;
  /** Last /healthz error text. */
  healthError: string | null;
}

function uniq(values: Iterable<string>): string[] {
  return [...new Set(values)];
}

function all(re: RegExp, text: string): RegExpExecArray[] {
  const g = new RegExp(re.source, re.flags.includes('g') ? re.flags : `${re.flags}g`);
  return [...text.matchAll(g)];
}

export function diagnoseServerLog(log: string, facts: ReadinessFacts): Diagnosis[] {
  const out: Diagnosis[] = [];
  if (facts.exited !== null) {
    const fatal = all(/\[FTL\] (.*)$/m, log).map((m) => m[1]!);
    out.push({ kind: 'exited', message: `nats-server exited (${facts.exited})${fatal.length ? `: ${fatal[fatal.length - 1]}` : ''}` });
  }
  for (const line of all(/^.*address already in use.*$/m, log)) {
    const addr = /listen tcp ([^:]*:\d+|\[[^\]]+\]:\d+)/.exec(line[0])?.[1] ?? '?';
    out.push({ kind: 'port-in-use', message: `port in use: ${addr} is taken by another process (choose another --client-port/--cluster-port/--http-port or stop it)` });
  }
  for (const m of all(/Error trying to connect to route.*?dial tcp ([^\s:]+:\d+|\[[^\]]+\]:\d+): connect: connection refused/, log)) {
    out.push({ kind: 'route-refused', message: `route refused by ${m[1]}: nothing listens there yet (that node is not up, or its --cluster-port differs)` });
  }
  for (const m of all(/Error trying to connect to route.*?lookup for host "([^"]+)"/, log)) {
    out.push({ kind: 'route-unresolvable', message: `seed host "${m[1]}" does not resolve (DNS or /etc/hosts)` });
  }
  for (const m of all(/Error trying to connect to route.*?dial tcp ([^\s]+): (?:i\/o timeout|connect: no route to host|connect: network is unreachable)/, log)) {
    out.push({ kind: 'route-unreachable', message: `seed ${m[1]} is unreachable (firewall or network)` });
  }
  for (const m of all(/cluster name "([^"]+)" does not match "([^"]+)"/, log)) {
    out.push({ kind: 'cluster-name-mismatch', message: `cluster name mismatch: a peer uses "${m[1]}" and this node "${m[2]}" (every node needs the same --cluster)` });
  }
  if (out.every((d) => d.kind !== 'cluster-name-mismatch') && /Cluster Name Conflict|cluster name from remote server conflicts/.test(log)) {
    out.push({ kind: 'cluster-name-mismatch', message: 'cluster name mismatch with a peer (every node needs the same --cluster)' });
  }
  const dup = uniq(all(/duplicate name: "([^"]+)"/, log).map((m) => m[1]!));
  for (const name of dup) {
    out.push({ kind: 'duplicate-server-name', message: `duplicate server name "${name}": another node of the cluster uses it (each node needs its own --server-name)` });
  }
  if (dup.length === 0 && /Duplicate Server Name/.test(log)) {
    out.push({ kind: 'duplicate-server-name', message: 'duplicate server name: another node of the cluster uses the same name' });
  }
  for (const m of all(/\[(?:FTL|ERR)\] (.*(?:config|configuration).*)$/im, log)) {
    if (!/route/i.test(m[1]!)) out.push({ kind: 'config-error', message: m[1]! });
  }
  if (facts.exited === null && facts.listening && !facts.metaLeader) {
    const expected = Math.max(2, facts.seeds);
    out.push({
      kind: 'no-meta-leader',
      message:
        `no JetStream meta leader yet: routes to ${facts.routes} peer(s); on first boot the meta group waits for max(2, routes) = ${expected} servers — ` +
        'start the other nodes with the same seed list (docs/bootstrap.md, "First boot")',
    });
  } else if (facts.exited === null && facts.metaLeader && facts.healthError) {
    out.push({ kind: 'not-current', message: `meta leader is ${facts.metaLeader}, but this node is not healthy yet: ${facts.healthError}` });
  }
  if (facts.exited === null && !facts.listening && out.length === 0) {
    out.push({ kind: 'unknown', message: 'the monitoring port never answered' });
  }
  // Keep one line per distinct message, in order.
  const seen = new Set<string>();
  const result = out.filter((d) => (seen.has(d.message) ? false : (seen.add(d.message), true)));
  return result.length > 0 ? result : [{ kind: 'unknown', message: 'no known cause found in the log; read the log tail' }];
}
