import type { CommandInput, CommandResult } from '../context.js';
import { runUp } from './up.js';

/** `join` is `up`; with --cluster it requires --seed (ERR-BOOT-0002, checked by the plan). */
export function run(input: CommandInput): Promise<CommandResult> {
  return runUp(input, 'join');
}
