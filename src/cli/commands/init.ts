import type { CommandInput, CommandResult } from '../context.js';
import { optString, optStrings } from '../option-parsing.js';
import { NbsError } from '../../domain/errors.js';
import type { InitResult } from '../../app/init.js';

/** `init --cluster NAME --out DIR [--seed HOST[:PORT]]...`: create a secured cluster's identity. */
export async function run(input: CommandInput): Promise<CommandResult> {
  const { options, ctx } = input;
  const cluster = optString(options, 'cluster', '--cluster', 'ERR-CTL-0002');
  const out = optString(options, 'out', '--out', 'ERR-CTL-0002');
  if (!cluster) throw new NbsError('ERR-CTL-0002', 'init needs --cluster NAME');
  if (!out) throw new NbsError('ERR-CTL-0002', 'init needs --out DIR (a new or empty folder)');
  const seeds = optStrings(options, 'seed', '--seed', 'ERR-CTL-0002');
  const { initIdentity } = await import('../../app/init.js');
  const result = await initIdentity({ cluster, out, seeds, cwd: ctx.cwd });
  const r: InitResult = result;
  return {
    data: result,
    human: () =>
      [
        `created the identity of cluster ${r.cluster} in ${r.dir}`,
        `  node bundle (copy to every node, mode 0600): ${r.bundle}`,
        `  controller secrets (stay on this host, mode 0600): ${r.controller_dir}/`,
        `  nats CLI contexts: ${r.contexts.map((c) => c.file).join(', ')}`,
        '',
        'next:',
        `  on every node:   nats-bootstrap up --cluster ${r.cluster} --bundle node-bundle.json${r.seeds.map((s) => ` --seed ${s}`).join('')} --detach`,
        `  on this host:    nats-bootstrap controller start --dir ${r.dir}`,
        `  watch:           mkdir -p ~/.config/nats/context && cp ${r.dir}/contexts/*.json ~/.config/nats/context/ && nats --context ${r.contexts[0]?.name ?? ''} sub 'nbs.>'`,
        `  applications:    nats --context ${r.contexts.find((c) => c.user === 'app-user')?.name ?? ''} pub hello world   (the app-user credential)`,
      ].join('\n'),
  };
}
