import { NbsError, toNbsError } from '../domain/errors.js';
import type { CliContext } from './context.js';

export function usageError(message: string): NbsError {
  return new NbsError('ERR-CORE-0004', message);
}

/** Print an error as `error[ID]: message` + `hint: …` (and JSON on stdout with --json); return the exit code. */
export function reportError(e: unknown, ctx: Pick<CliContext, 'err' | 'out'> & { global: { json: boolean; debug: boolean } }): number {
  const err = toNbsError(e);
  const firstLine = err.message.split('\n')[0] ?? '';
  ctx.err(`error[${err.id}]: ${firstLine}`);
  for (const line of err.details) ctx.err(`  ${line}`);
  ctx.err(`hint: ${err.hint}`);
  if (ctx.global.debug && err.stack) {
    ctx.err(err.stack);
    if (err.cause instanceof Error && err.cause.stack) ctx.err(`cause: ${err.cause.stack}`);
  }
  if (ctx.global.json) {
    ctx.out(
      JSON.stringify(
        { schema_version: 1, ok: false, error: { id: err.id, message: firstLine, hint: err.hint, exit_code: err.exitCode, ...(err.data ? { data: err.data } : {}) } },
        null,
        2,
      ),
    );
  }
  return err.exitCode;
}
