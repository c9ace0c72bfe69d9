/**
 * `nats-bootstrap doctor [--datafolder DIR] [--controller]` — checks with ok/warn/fail and a hint.
 * Exit 1 when any check fails, else 0 (warnings do not fail). An invalid or missing config file
 * is a failed `config` check here (exit 1), not ERR-CORE-0002 exit 2 as for other commands.
 */
import type { DoctorReport } from '../../app/doctor.js';
import type { CommandInput, CommandResult } from '../context.js';
import { optBool, optString } from '../option-parsing.js';
import { formatAttempt } from './status.js';

export async function run(input: CommandInput): Promise<CommandResult> {
  const datafolder = optString(input.options, 'datafolder', '--datafolder');
  const controller = optBool(input.options, 'controller');
  const { doctor } = await import('../../app/doctor.js');
  const { ctx } = input;
  const data = await doctor({ global: ctx.global, env: ctx.env, cwd: ctx.cwd, datafolder, options: { controller } });
  return { data, human: (d) => formatDoctor(d as DoctorReport), exitCode: data.ok ? 0 : 1 };
}

export function formatDoctor(r: DoctorReport): string {
  const lines: string[] = [];
  const width = Math.max(...r.checks.map((c) => c.id.length));
  for (const c of r.checks) {
    lines.push(`${c.status.padEnd(4)}  ${c.id.padEnd(width)}  ${c.message}`);
    if (c.hint && c.status !== 'ok') lines.push(`${' '.repeat(width + 8)}hint: ${c.hint}`);
  }
  lines.push('');
  lines.push(`resolution order: ${r.resolution.priority.join(' > ')}`);
  for (const a of r.resolution.attempts) lines.push(`  ${formatAttempt(a)}`);
  lines.push('');
  const s = r.summary;
  lines.push(`doctor: ${s.ok} ok, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed${r.ok ? '' : ' — see the hints above'}`);
  return lines.join('\n');
}
