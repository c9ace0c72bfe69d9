/**
 * The controller's dispatch table: action → handler. An action listed in the request schema
 * without a handler here is answered with the error code `not_available`.
 * To add an action, register its handler in HANDLERS (one line).
 */
import type { ControllerAction } from '../../domain/control-plane.js';
import type { ControllerHandler } from './context.js';
import { handleBackup } from './backup-handler.js';
import { handleLeave } from './leave-handler.js';
import { handlePing, handleStatus } from './read-handlers.js';

export const HANDLERS: Partial<Record<ControllerAction, ControllerHandler>> = {
  ping: handlePing,
  status: handleStatus,
  leave: handleLeave,
  backup: handleBackup,
};

/**
 * Actions the service records in the audit bucket (received → done/failed, replay → already_done)
 * around the handler. `ping`/`status` are read-only and only recorded with --audit-reads.
 */
export const AUDITED_ACTIONS: ReadonlySet<ControllerAction> = new Set<ControllerAction>(['backup']);
/** Actions whose handler writes its own audit phases (leave: accepted → removing → done). */
export const SELF_AUDITED_ACTIONS: ReadonlySet<ControllerAction> = new Set<ControllerAction>(['leave']);
