import type { UpDeps } from '../app/up.js';
import type { CliContext } from './context.js';

/**
 * Foreground runs get a second-Ctrl-C escalation (stop now instead of lame duck). A repeat within
 * a second does not count: under `npx` the terminal's SIGINT and npm's forwarded copy arrive together.
 */
function forceSignalFor(detach: boolean): { signal?: AbortSignal; dispose: () => void } {
  if (detach) return { dispose: () => undefined };
  const force = new AbortController();
  let first = 0;
  const onSig = () => {
    const now = Date.now();
    if (first === 0) first = now;
    else if (now - first > 1000) force.abort();
  };
  process.on('SIGINT', onSig);
  process.on('SIGTERM', onSig);
  return {
    signal: force.signal,
    dispose: () => {
      process.off('SIGINT', onSig);
      process.off('SIGTERM', onSig);
    },
  };
}

/**
 * The dependencies of a use case that runs nodes (up, demo): the process edges, progress on stderr,
 * Ctrl-C as a graceful stop and, in the foreground, a second Ctrl-C as "stop now".
 */
export async function withNodeRunDeps<T>(ctx: CliContext, detach: boolean, run: (deps: UpDeps) => Promise<T>): Promise<T> {
  const force = forceSignalFor(detach);
  try {
    return await run({
      global: ctx.global,
      env: ctx.env,
      cwd: ctx.cwd,
      signal: ctx.signal,
      ...(force.signal ? { forceSignal: force.signal } : {}),
      progress: (l) => ctx.err(l),
    });
  } finally {
    force.dispose();
  }
}
