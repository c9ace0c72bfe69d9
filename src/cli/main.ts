#!/usr/bin/env node
/**
 * Entry point: cac wiring only. Command modules are imported inside the action so that
 * `--version`, `--help` and light commands do not pay for NATS clients, ajv or pino (DESIGN §8.1).
 * This is the only place that sets process.exitCode.
 */
import { cac } from 'cac';
import { packageVersion } from '../infra/package-version.js';
import type { CliContext, CommandInput, CommandModule, GlobalOptions } from './context.js';

type Loader = () => Promise<CommandModule>;

const cli = cac('nats-bootstrap');
let pending: Promise<void> | undefined;

cli
  .option('--config <file>', 'Config file (default ./nats-config.json, then ~/.nats-bootstrap/nats-config.json)')
  .option('--nats-server-path <path>', 'nats-server binary to use (highest priority)')
  .option('--json', 'Machine-readable output')
  .option('--debug', 'Show stack traces');

function action(load: Loader) {
  return (...params: unknown[]): void => {
    const options = params[params.length - 1] as Record<string, unknown>;
    const args = params.slice(0, -1).flatMap((p) => (Array.isArray(p) ? p.map(String) : p === undefined ? [] : [String(p)]));
    pending = execute(load, args, options);
  };
}

const dataFolderOpt = ['--datafolder <dir>', 'Data folder of this node (default ./nats-bootstrap-data)'] as const;

function bootstrapOptions(name: string, description: string, load: Loader) {
  return cli
    .command(name, description)
    .option('--cluster <name>', 'Cluster name (generated config, bootstrap mode)')
    .option('--seed <host[:port]>', 'Cluster seed; repeat for each node (may include this node)', { type: [String] })
    .option('--server-name <name>', 'Server name (default: host name; fixed once chosen)')
    .option(...dataFolderOpt)
    .option('--listen <host[:port]>', 'Cluster listen address (default 0.0.0.0:<cluster-port>)')
    .option('--client-port <port>', 'Client port (default 4222)')
    .option('--cluster-port <port>', 'Cluster port (default 6222)')
    .option('--http-port <port>', 'Monitoring port (default 8222)')
    .option('--bundle <file>', 'Node bundle from init: secured accounts and node credential')
    .option('--nats-config <file>', 'Run a user-managed nats-server config instead of generating one')
    .option('--detach', 'Start in the background and return once the node is ready')
    .option('--rejoin', 'After leave: wipe stale JetStream state and join as a fresh member')
    .option('--service', 'Run under the installed OS service')
    .example(`nats-bootstrap ${name} --cluster demo --seed a --seed b --seed c --detach`)
    .action(action(load));
}

bootstrapOptions('up', 'Start this node (foreground unless --detach)', () => import('./commands/up.js'));
bootstrapOptions('join', 'Start this node and join a cluster (same as up; --cluster needs --seed)', () => import('./commands/join.js'));
bootstrapOptions('start', 'Deprecated alias of up', () => import('./commands/start.js'));

cli
  .command('down', 'Stop the node of the data folder (lame duck by default)')
  .option(...dataFolderOpt)
  .option('--confirm', 'Really stop the node')
  .option('--now', 'Stop immediately instead of lame duck')
  .action(action(() => import('./commands/down.js')));

cli
  .command('leave', 'Ask the controller to remove this node from the cluster, then stop it')
  .option(...dataFolderOpt)
  .option('--confirm', 'Really leave')
  .option('--force', 'Proceed although quorum or membership checks refuse')
  .option('--stop-anyway', 'Stop the node even when the controller is unreachable')
  .option('--timeout <seconds>', 'How long to wait for the controller (default 60)')
  .action(action(() => import('./commands/leave.js')));

cli
  .command('status', 'Facts: binary, config, this node, the cluster')
  .option(...dataFolderOpt)
  .action(action(() => import('./commands/status.js')));

cli
  .command('doctor', 'Checks with ok/warn/fail and a hint (exit 1 on a fail)')
  .option(...dataFolderOpt)
  .option('--controller', 'Also ping the controller over NATS')
  .action(action(() => import('./commands/doctor.js')));

cli
  .command('init', 'Create a cluster identity: controller secrets and the node bundle')
  .option('--cluster <name>', 'Cluster name')
  .option('--out <dir>', 'Output folder (must not hold an identity yet)')
  .option('--seed <host[:port]>', 'Seeds to record in the node bundle', { type: [String] })
  .action(action(() => import('./commands/init.js')));

cli
  .command('controller <action>', 'Controller service: controller start --dir DIR')
  .option('--dir <dir>', 'Folder written by init')
  .option('--server <url>', 'NATS server URL(s), comma separated (default: the bundle seeds)')
  .option('--audit-reads', 'Also record ping/status requests in the audit bucket')
  .action(action(() => import('./commands/controller.js')));

const connectionOptions = (c: ReturnType<typeof cli.command>) =>
  c
    .option('--server <url>', 'NATS server URL(s), comma separated (default nats://127.0.0.1:4222)')
    .option('--creds <file>', 'User credentials file')
    .option('--nkey <file>', 'NKey seed file')
    .option('--user <user>', 'User name')
    .option('--password <password>', 'Password')
    .option('--context <name>', 'nats CLI context to take the connection from');

connectionOptions(
  cli
    .command('backup', 'Back up streams and KV buckets in the nats CLI layout')
    .option('--stream <name>', 'One stream')
    .option('--kv <bucket>', 'One KV bucket')
    .option('--all', 'Every stream of the account (KV and object stores included)')
    .option('--output <dir>', 'Backup folder')
    .option('--via-controller', 'Ask the controller to run the backup (node credential only)')
    .option(...dataFolderOpt),
).action(action(() => import('./commands/backup.js')));

connectionOptions(
  cli
    .command('restore', 'Restore streams from a backup folder')
    .option('--input <dir>', 'Backup folder')
    .option('--stream <name>', 'Only this stream')
    .option('--replace', 'Replace an existing stream (its data is lost)')
    .option('--replicas <n>', 'Restore at this replica count')
    .option('--confirm', 'Really restore'),
).action(action(() => import('./commands/restore.js')));

cli
  .command('service <action>', 'OS service: install | uninstall | status')
  .option(...dataFolderOpt)
  .option('--name <name>', 'Service name (default nats-server)')
  .option('--confirm', 'Really change the OS service')
  .action(action(() => import('./commands/service.js')));

cli
  .command('demo', 'Start a secured 3-node cluster and a controller on this machine (Ctrl-C stops them)')
  .option('--dir <dir>', 'Folder for the nodes, the identity and the controller log (default: a temporary folder)')
  .option('--detach', 'Leave the nodes and the controller running and return')
  .option('--no-controller', 'Three open nodes only: no identity, no controller')
  .action(action(() => import('./commands/demo.js')));

cli.help();
cli.version(packageVersion());

async function execute(load: Loader, args: string[], options: Record<string, unknown>): Promise<void> {
  const global: GlobalOptions = {
    json: options['json'] === true,
    debug: options['debug'] === true,
  };
  if (typeof options['config'] === 'string' || typeof options['config'] === 'number') global.config = String(options['config']);
  if (options['natsServerPath'] !== undefined) global.natsServerPath = String(options['natsServerPath']);
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const ctx: CliContext = {
    global,
    env: process.env,
    cwd: process.cwd(),
    out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
    isTTY: Boolean(process.stdout.isTTY),
    signal: controller.signal,
  };
  const input: CommandInput = { args, options, passthrough: ((options['--'] as unknown[]) ?? []).map(String), ctx };
  try {
    const mod = await load();
    const result = await mod.run(input);
    if (global.json) ctx.out(JSON.stringify(result.data, null, 2));
    else {
      const text = result.human(result.data);
      if (text) ctx.out(text);
    }
    process.exitCode = result.exitCode ?? 0;
  } catch (e) {
    const { reportError } = await import('./error-report.js');
    process.exitCode = reportError(e, ctx);
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

async function main(): Promise<void> {
  try {
    cli.parse(process.argv, { run: false });
    if (cli.options['help'] || cli.options['version']) return;
    if (!cli.matchedCommand) {
      if (cli.args.length > 0) {
        throw Object.assign(new Error(`unknown command "${cli.args[0]}"`), { name: 'CACError' });
      }
      cli.outputHelp();
      return;
    }
    await cli.runMatchedCommand();
    await pending;
  } catch (e) {
    const { reportError, usageError } = await import('./error-report.js');
    const err = e instanceof Error && e.name === 'CACError' ? usageError(e.message) : e;
    process.exitCode = reportError(err, {
      global: { json: process.argv.includes('--json'), debug: process.argv.includes('--debug') },
      err: (t) => process.stderr.write(t.endsWith('\n') ? t : `${t}\n`),
      out: (t) => process.stdout.write(t.endsWith('\n') ? t : `${t}\n`),
    });
  }
}

await main();
