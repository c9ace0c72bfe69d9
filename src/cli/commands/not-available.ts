import { NbsError } from '../../domain/errors.js';
import type { CommandResult } from '../context.js';

/** For commands of the contract that a later release builds. */
export function notAvailable(command: string): Promise<CommandResult> {
  return Promise.reject(new NbsError('ERR-CORE-0003', `${command}: not available yet`));
}
