import type { CommandInput, CommandResult } from '../context.js';
import * as up from './up.js';

/** `join` is `up`; with --cluster it requires --seed (checked by up's option parsing). */
export function run(input: CommandInput): Promise<CommandResult> {
  return up.run({ ...input, options: { ...input.options, __command: 'join' } });
}
