import type { CommandInput, CommandResult } from '../context.js';
import { optBool, optString, optStrings } from '../option-parsing.js';
import type { UpCommand, UpResult } from '../../app/up.js';
import { withNodeRunDeps } from '../node-run.js';

/** Flags of up/join/start → the typed command (ports stay strings: the plan validates them). */
export function parseUpOptions(input: CommandInput, command: UpCommand['command']): UpCommand {
  const o = input.options;
  const id = 'ERR-BOOT-0001' as const;
  return {
    command,
    cluster: optString(o, 'cluster', '--cluster', id),
    seeds: optStrings(o, 'seed', '--seed', id).flatMap((s) => s.split(',')).map((s) => s.trim()).filter((s) => s !== ''),
    serverName: optString(o, 'serverName', '--server-name', id),
    datafolder: optString(o, 'datafolder', '--datafolder', id),
    listen: optString(o, 'listen', '--listen', id),
    clientPort: optString(o, 'clientPort', '--client-port', id),
    clusterPort: optString(o, 'clusterPort', '--cluster-port', id),
    httpPort: optString(o, 'httpPort', '--http-port', id),
    natsConfig: optString(o, 'natsConfig', '--nats-config', id),
    bundle: optString(o, 'bundle', '--bundle', id),
    detach: optBool(o, 'detach'),
    rejoin: optBool(o, 'rejoin'),
    service: optBool(o, 'service'),
    passthrough: input.passthrough,
  };
}

export function formatUp(d: UpResult): string {
  const host = '127.0.0.1';
  const lines: string[] = [];
  if (d.status === 'already-running') {
    lines.push(`${d.server_name} is already running (pid ${d.pid}) from ${d.datafolder}; nothing changed`);
  } else if (d.status === 'ready') {
    const r = d.ready;
    const cl = d.cluster ? `cluster ${d.cluster}, meta leader ${r?.meta_leader ?? '-'}, ${r?.cluster_size ?? '?'} peers, routes to ${r?.routes ?? 0}` : 'standalone JetStream';
    lines.push(`${d.server_name} is ready (pid ${d.pid}): ${cl} — ${((r?.elapsed_ms ?? 0) / 1000).toFixed(1)} s`);
  } else {
    return `${d.server_name} stopped (nats-server exit code ${d.exit_code ?? '?'})`;
  }
  lines.push(`  client      nats://${host}:${d.ports.client}`, `  monitoring  http://${host}:${d.ports.http}`, `  data        ${d.datafolder}`);
  if (d.log_file) lines.push(`  log         ${d.log_file}`);
  lines.push(`  stop        nats-bootstrap down --confirm --datafolder ${d.datafolder}`);
  return lines.join('\n');
}

export async function runUp(input: CommandInput, command: UpCommand['command']): Promise<CommandResult> {
  const cmd = parseUpOptions(input, command);
  const { up } = await import('../../app/up.js');
  const { ctx } = input;
  const result = await withNodeRunDeps(ctx, cmd.detach, (deps) => up(cmd, deps));
  return { data: result, human: () => formatUp(result), exitCode: result.status === 'exited' && result.exit_code !== 0 ? 1 : 0 };
}

export function run(input: CommandInput): Promise<CommandResult> {
  return runUp(input, 'up');
}
