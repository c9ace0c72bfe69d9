import type { CommandInput, CommandResult } from '../context.js';
import { notAvailable } from './not-available.js';

export function run(_input: CommandInput): Promise<CommandResult> {
  return notAvailable('demo');
}
