import type { CommandInput, CommandResult } from '../context.js';
import { optBool, optInt, optString } from '../option-parsing.js';
import { NbsError } from '../../domain/errors.js';
import type { LeaveResult } from '../../app/leave.js';

/** `leave --confirm [--force] [--stop-anyway] [--timeout S] [--datafolder DIR]`. */
export async function run(input: CommandInput): Promise<CommandResult> {
  const { options, ctx } = input;
  const datafolder = optString(options, 'datafolder', '--datafolder');
  const timeout = optInt(options, 'timeout', '--timeout');
  if (timeout !== undefined && (timeout < 1 || timeout > 3600)) throw new NbsError('ERR-CORE-0004', '--timeout must be 1..3600 seconds');
  const { loadEnvironment, nodeDataFolder, signalBinary } = await import('../../app/environment.js');
  const { leaveCluster } = await import('../../app/leave.js');
  const env = await loadEnvironment(ctx);
  const bin = await signalBinary(env);
  const result = await leaveCluster({
    datafolder: nodeDataFolder(env, datafolder),
    cwd: ctx.cwd,
    confirm: optBool(options, 'confirm'),
    force: optBool(options, 'force'),
    stopAnyway: optBool(options, 'stopAnyway'),
    ...(timeout !== undefined ? { timeoutMs: timeout * 1000 } : {}),
    ...(bin ? { bin } : {}),
    progress: (line) => {
      if (!ctx.global.json) ctx.err(line);
    },
  });
  return {
    data: result,
    human: () => humanLeave(result),
    exitCode: result.status === 'pending' ? 1 : 0,
  };
}

function humanLeave(r: LeaveResult): string {
  switch (r.status) {
    case 'already_left':
      return `${r.server_name} already left cluster ${r.cluster} (request ${r.request_id}); up --rejoin joins it again as a fresh member`;
    case 'removed':
      return [
        `${r.server_name} left cluster ${r.cluster}: peer removed${r.forced ? ' (forced)' : ''}, server ${r.stopped ? 'stopped' : 'already stopped'}`,
        ...(Array.isArray(r.removal?.['meta_peers_after']) ? [`  meta group now: ${(r.removal['meta_peers_after'] as string[]).join(', ')}`] : []),
        `  request ${r.request_id} is recorded in the controller's audit bucket`,
        `  data folder ${r.datafolder} is marked as left; up --rejoin wipes its JetStream state and joins as a fresh member`,
      ].join('\n');
    case 'pending':
      return [
        `${r.server_name}: server ${r.stopped ? 'stopped' : 'not running'}, but the peer removal is still PENDING`,
        `  reason: ${r.reason ?? 'unknown'}`,
        `  run nats-bootstrap leave --confirm again (same request ${r.request_id}) once the controller and a cluster quorum are reachable`,
      ].join('\n');
  }
}
