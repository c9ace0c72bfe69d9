import type { CommandInput, CommandResult } from '../context.js';
import { optBool, optString } from '../option-parsing.js';
import { NbsError } from '../../domain/errors.js';

/** `down --confirm [--now] [--datafolder DIR]`: stop the node of the data folder. */
export async function run(input: CommandInput): Promise<CommandResult> {
  const { options, ctx } = input;
  const datafolder = optString(options, 'datafolder', '--datafolder');
  const now = optBool(options, 'now');
  if (!optBool(options, 'confirm')) {
    throw new NbsError('ERR-CORE-0005', `down stops the nats-server of ${datafolder ?? 'the data folder'}; nothing was done`, {
      hint: `repeat with --confirm: nats-bootstrap down --confirm${now ? ' --now' : ''}${datafolder ? ` --datafolder ${datafolder}` : ''}`,
    });
  }
  const { loadEnvironment, nodeDataFolder, signalBinary } = await import('../../app/environment.js');
  const { stopNode } = await import('../../app/down.js');
  const env = await loadEnvironment(ctx);
  const bin = await signalBinary(env);
  const result = await stopNode(nodeDataFolder(env, datafolder), {
    now,
    cwd: ctx.cwd,
    ...(bin ? { bin } : {}),
    onSignalled: ({ pid, mode, timeoutMs }) => {
      if (!ctx.global.json) {
        ctx.err(mode === 'lame-duck' ? `lame duck: nats-server ${pid} hands off leadership and evicts clients (waiting up to ${Math.round(timeoutMs / 1000)} s)…` : `stopping nats-server ${pid} now…`);
      }
    },
  });
  return {
    data: result,
    human: () => `stopped ${result.server_name ?? 'node'} (pid ${result.pid}, ${result.mode}) after ${(result.waited_ms / 1000).toFixed(1)} s — data kept in ${result.datafolder}`,
  };
}
