import type { CommandInput, CommandResult } from '../context.js';
import { optBool, optString } from '../option-parsing.js';
import type { DemoResult } from '../../app/demo.js';
import { withNodeRunDeps } from '../node-run.js';

export function formatDemo(d: DemoResult): string {
  const what = d.secured ? `secured cluster "${d.cluster}": ${d.nodes.length} nodes and a controller` : `cluster "${d.cluster}" with ${d.nodes.length} open nodes`;
  const lines = [`${what} on this machine, ready in ${(d.ready_ms / 1000).toFixed(1)} s (meta leader ${d.meta_leader ?? '-'}):`];
  for (const n of d.nodes) lines.push(`  ${n.name.padEnd(10)} pid ${String(n.pid ?? '-').padEnd(8)} ${n.client_url.padEnd(24)} ${n.monitoring_url}  ${n.status}`);
  const c = d.controller;
  if (c) {
    const where = c.mode === 'in-process' ? 'in this process' : `background process${c.status === 'already-running' ? ', already running' : ''}`;
    lines.push(`  ${'controller'.padEnd(10)} pid ${String(c.pid ?? '-').padEnd(8)} (${where})  log ${c.log_file}`);
  }
  if (d.identity) lines.push(`  identity   ${d.identity}  (keys 0600, node bundle, nats CLI contexts)`);
  for (const s of d.next_steps) lines.push('', `${s.what}:`, ...s.commands.map((x) => `  ${x}`));
  if (d.stop_commands.length > 0) lines.push('', 'stop:', ...d.stop_commands.map((x) => `  ${x}`));
  return lines.join('\n');
}

/** `demo [--dir DIR] [--detach] [--no-controller]` */
export async function run(input: CommandInput): Promise<CommandResult> {
  const { ctx, options } = input;
  const dir = optString(options, 'dir', '--dir');
  const detach = optBool(options, 'detach');
  // cac turns --no-controller into controller: false (default true).
  const controller = options['controller'] !== false;
  const { demo } = await import('../../app/demo.js');
  const result = await withNodeRunDeps(ctx, detach, (deps) =>
    demo(
      { dir, detach, controller },
      {
        ...deps,
        onReady: (r) => {
          if (!ctx.global.json) {
            ctx.out(`${formatDemo({ ...r, stop_commands: [] })}\n\nCtrl-C stops ${r.controller ? 'the cluster and the controller' : 'the cluster'}${r.temporary ? ' and removes its temporary folder' : ''}.`);
          }
        },
      },
    ),
  );
  return {
    data: result,
    human: () => (result.stopped ? `demo stopped${result.temporary ? ` (removed ${result.dir})` : ` (data kept in ${result.dir})`}` : formatDemo(result)),
  };
}
