import { NbsError } from '../../domain/errors.js';
import type { CommandInput, CommandResult } from '../context.js';

/** `backup --via-controller`: not wired yet (needs the controller's request handlers). */
export function runViaController(_input: CommandInput): Promise<CommandResult> {
  return Promise.reject(new NbsError('ERR-CORE-0003', 'backup --via-controller is not available yet', { hint: 'run backup directly with --creds/--context for now' }));
}
