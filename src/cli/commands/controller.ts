import type { CommandInput, CommandResult } from '../context.js';
import { optBool, optList, optString } from '../option-parsing.js';
import { NbsError } from '../../domain/errors.js';

/**
 * `controller start --dir DIR [--server URL[,URL]]`: run the control-plane service in the
 * foreground (pino JSON logs on stdout) until SIGINT/SIGTERM.
 * Test-only: env NBS_TEST_CRASH_AFTER=removed kills the process (SIGKILL) right after a peer
 * removal was committed and before the audit record and the reply are written.
 */
export async function run(input: CommandInput): Promise<CommandResult> {
  const { args, options, ctx } = input;
  const action = args[0];
  if (action !== 'start') throw new NbsError('ERR-CORE-0004', `unknown controller action "${action ?? ''}": use controller start --dir DIR`);
  const dir = optString(options, 'dir', '--dir', 'ERR-CTL-0002');
  if (!dir) throw new NbsError('ERR-CTL-0002', 'controller start needs --dir DIR (the folder written by init)');
  const servers = optList(options, 'server', '--server', 'ERR-CTL-0002');
  const { pino } = await import('pino');
  const log = pino({ name: 'nbs-controller', level: ctx.global.debug ? 'debug' : (ctx.env['NBS_LOG_LEVEL'] ?? 'info') });
  const { startController } = await import('../../app/controller/service.js');
  const crashAt = ctx.env['NBS_TEST_CRASH_AFTER'];
  const running = await startController({
    dir,
    cwd: ctx.cwd,
    ...(servers ? { servers } : {}),
    signal: ctx.signal,
    log,
    auditReads: optBool(options, 'auditReads'),
    ...(crashAt
      ? {
          testHook: (point) => {
            if (point === crashAt) {
              log.warn({ point }, 'NBS_TEST_CRASH_AFTER: test-only crash');
              log.flush?.();
              process.kill(process.pid, 'SIGKILL');
            }
          },
        }
      : {}),
  });
  await running.done;
  return {
    data: { schema_version: 1, controller_id: running.id, cluster: running.cluster, stopped: true },
    human: () => '',
  };
}
