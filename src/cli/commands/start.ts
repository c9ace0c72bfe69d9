import type { CommandInput, CommandResult } from '../context.js';
import * as up from './up.js';

/** Deprecated alias of `up` (seed F-1 compatibility). */
export function run(input: CommandInput): Promise<CommandResult> {
  input.ctx.err('warning: "start" is deprecated and will be removed; use "nats-bootstrap up" (same options)');
  return up.run(input);
}
