/**
 * `nats-bootstrap status [--datafolder DIR]` — facts: binary, config file, this node, its cluster.
 * Exit 0 whenever the facts could be gathered, also when nats-server cannot be resolved (then
 * `binary` is null and the attempts say why); judging is `doctor`'s job. An invalid config file is
 * bad input: ERR-CORE-0002 / ERR-CORE-0006, exit 2.
 */
import type { ResolutionAttempt } from '../../domain/binary-resolution.js';
import type { StatusReport } from '../../app/status.js';
import type { CommandInput, CommandResult } from '../context.js';
import { optString } from '../option-parsing.js';

export async function run(input: CommandInput): Promise<CommandResult> {
  const datafolder = optString(input.options, 'datafolder', '--datafolder');
  const { status } = await import('../../app/status.js');
  const { ctx } = input;
  const data = await status({ global: ctx.global, env: ctx.env, cwd: ctx.cwd, datafolder });
  return { data, human: (d) => formatStatus(d as StatusReport) };
}

export function formatAttempt(a: ResolutionAttempt): string {
  const what = a.candidate === null ? `(${a.origin ?? a.source} not set)` : `${a.candidate}${a.ok ? '' : ` — ${a.reason}`}`;
  return `${a.source.padEnd(8)} ${a.ok ? 'ok' : '--'}  ${what}`;
}

export function formatStatus(s: StatusReport): string {
  const lines: string[] = [];
  if (s.binary) {
    const version = s.binary.version ? `v${s.binary.version}` : 'version unknown';
    lines.push(`binary:   ${s.binary.path} (${version}, from ${s.binary.source})`);
    if (s.binary.version_warning) lines.push(`          warning: ${s.binary.version_warning}`);
  } else {
    lines.push('binary:   nats-server not found; tried:');
    for (const a of s.resolution.attempts) lines.push(`          ${formatAttempt(a)}`);
  }
  lines.push(`config:   ${s.config.path ? `${s.config.path} (${s.config.source})` : 'none (defaults)'}`);
  const n = s.node;
  lines.push(`node:     ${n.datafolder}${n.exists ? '' : ' (does not exist)'}`);
  if (n.state_error) lines.push(`  state:  unreadable: ${n.state_error}`);
  else if (n.state_file) lines.push(`  name:   ${n.server_name ?? '?'}, cluster ${n.cluster ?? '(user config)'}, mode ${n.mode ?? '?'}`);
  else if (n.exists) lines.push('  state:  no state.json (not set up with up)');
  lines.push(`  ports:  client ${n.ports.client}, cluster ${n.ports.cluster}, http ${n.ports.http} (${n.ports_source})`);
  if (n.running) lines.push(`  server: running, pid ${n.pid}`);
  else if (n.stale_pid) lines.push(`  server: not running (stale pid file: pid ${n.pid} is gone)`);
  else lines.push('  server: not running');
  if (n.left) lines.push(`  left:   ${n.left.at} (request ${n.left.request_id}, ${n.left.result})`);
  if (n.pending_leave) lines.push(`  leave:  pending since ${n.pending_leave.since}${n.pending_leave.request_id ? ` (request ${n.pending_leave.request_id})` : ''}`);
  const c = s.cluster;
  if (c) {
    if (!c.reachable) {
      lines.push(`cluster:  monitoring ${c.monitoring_url} unreachable: ${c.error ?? 'no answer'}`);
    } else {
      lines.push(`cluster:  ${c.cluster_name ?? '(no cluster)'} via ${c.monitoring_url} (server ${c.server_name}, v${c.version})`);
      if (c.jetstream && c.cluster_size === null && !c.meta_leader) {
        lines.push('  meta:   standalone JetStream (not clustered)');
      } else if (c.jetstream) {
        lines.push(`  meta:   leader ${c.meta_leader ?? 'NONE'}, cluster size ${c.cluster_size ?? '?'}`);
        for (const p of c.peers ?? []) {
          const tags = [p.offline ? 'offline' : p.current ? 'current' : 'not current'];
          if (p.leader) tags.push('leader');
          if (p.self) tags.push('this node');
          if (p.lag) tags.push(`lag ${p.lag}`);
          if (p.active_ms !== null) tags.push(`seen ${(p.active_ms / 1000).toFixed(1)}s ago`);
          lines.push(`  peer:   ${p.name} (${tags.join(', ')})`);
        }
        if (c.peers_partial) lines.push(`  note:   only the meta leader reports every peer on this server version; run status on the host of ${c.meta_leader ?? 'the leader'}`);
      } else {
        lines.push('  meta:   JetStream disabled');
      }
      // nats-server 2.9 names route peers only by server id (56 characters): shorten them.
      const routes = (c.routes ?? []).map((r) => (/^N[A-Z0-9]{55}$/.test(r) ? `${r.slice(0, 10)}… (server id)` : r));
      lines.push(`  routes: ${routes.length ? `${routes.length} peer${routes.length === 1 ? '' : 's'}: ${routes.join(', ')}` : 'none'}`);
      if (c.health) lines.push(`  health: ${c.health.status}${c.health.error ? ` — ${c.health.error}` : ''}`);
      if (c.error) lines.push(`  note:   ${c.error}`);
    }
  }
  return lines.join('\n');
}
