import type { CommandInput, CommandResult } from '../context.js';
import { optBool, optString } from '../option-parsing.js';
import type { DemoResult } from '../../app/demo.js';
import { forceSignalFor } from './up.js';

export function formatDemo(d: DemoResult): string {
  const lines = [`cluster "${d.cluster}" with ${d.nodes.length} nodes on this machine (meta leader ${d.meta_leader ?? '-'}):`];
  for (const n of d.nodes) lines.push(`  ${n.name.padEnd(6)} pid ${String(n.pid ?? '-').padEnd(8)} ${n.client_url.padEnd(24)} ${n.monitoring_url}  ${n.status}`);
  lines.push('', 'connect:', `  ${d.connect}`, `  nats -s ${d.nodes[0]?.client_url ?? ''} pub hello world`);
  lines.push('status:', `  nats-bootstrap status --datafolder ${d.nodes[0]?.datafolder ?? ''}`);
  if (d.stop_commands.length > 0) lines.push('stop:', ...d.stop_commands.map((c) => `  ${c}`));
  return lines.join('\n');
}

/** `demo [--dir DIR] [--detach]` */
export async function run(input: CommandInput): Promise<CommandResult> {
  const { ctx, options } = input;
  const dir = optString(options, 'dir', '--dir');
  const detach = optBool(options, 'detach');
  const { demo } = await import('../../app/demo.js');
  const force = forceSignalFor(detach);
  try {
    const result = await demo(
      { dir, detach },
      {
        global: ctx.global,
        env: ctx.env,
        cwd: ctx.cwd,
        signal: ctx.signal,
        ...(force.signal ? { forceSignal: force.signal } : {}),
        progress: (l) => ctx.err(l),
        onReady: (r) => {
          if (!ctx.global.json) ctx.out(`${formatDemo({ ...r, stop_commands: [] })}\n\nCtrl-C stops the cluster${r.temporary ? ' and removes its temporary folder' : ''}.`);
        },
      },
    );
    return {
      data: result,
      human: () => (result.stopped ? `demo stopped${result.temporary ? ` (removed ${result.dir})` : ` (data kept in ${result.dir})`}` : formatDemo(result)),
    };
  } finally {
    force.dispose();
  }
}
