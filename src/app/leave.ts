/**
 * `leave --confirm [--force] [--stop-anyway]` on a node (DESIGN §5):
 *
 *   1. prepare   ask the controller (through any cluster server) whether this node may leave;
 *                refused → exit 3 with the numbers, the node is untouched.
 *   2. stop      lame-duck stop of the local server (stopNode of `down`).
 *   3. commit    ask the controller (through the other servers) to peer-remove it; the controller
 *                waits until the node is offline, removes it and answers with the result.
 *   4. mark      state.json `left` (a plain `up` then refuses).
 *
 * The request_id lives in `leave-request.json`, so a retried leave (after a crash, a lost reply,
 * or a pending removal) reuses it and the controller never acts twice.
 */
import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { NbsError } from '../domain/errors.js';
import type { ControllerReply, ControllerRequest, ReplyErrorCode } from '../domain/control-plane.js';
import type { LeavePlan } from '../domain/quorum.js';
import { ownClientUrl, seedClientUrls, type NodeState } from '../domain/node-state.js';
import { DataFolder, writeFileAtomic } from '../infra/data-folder.js';
import { readBundle } from '../infra/bundle-file.js';
import { connectAsNode, requestController } from '../infra/controller-client.js';
import { MonitoringClient } from '../infra/monitoring.js';
import type { NatsConnection } from '../infra/nats-connection.js';
import { stopNode } from './down.js';

export interface LeaveOptions {
  datafolder?: string;
  cwd: string;
  confirm: boolean;
  force: boolean;
  stopAnyway: boolean;
  /** How long to wait for each controller answer (commit includes the removal). Default 60 s. */
  timeoutMs?: number;
  /** nats-server binary for --signal (Windows). */
  bin?: string;
  progress?: (line: string) => void;
}

export type LeaveStatus = 'removed' | 'already_left' | 'pending';

export interface LeaveResult {
  schema_version: 1;
  datafolder: string;
  server_name: string;
  cluster: string;
  request_id: string;
  status: LeaveStatus;
  forced: boolean;
  stopped: boolean;
  /** Why the removal is not finished (pending). */
  reason?: string;
  plan?: LeavePlan;
  removal?: Record<string, unknown>;
  controller_id?: string;
  /** Wall time of each step (prepare: controller plan check, stop: lame duck, commit: removal). */
  timings_ms?: { prepare?: number; stop?: number; commit?: number };
}

interface LeaveRequestFile {
  schema_version: 1;
  request_id: string;
  server_name: string;
  cluster: string;
  created_at: string;
  force: boolean;
  /** Client URLs of the cluster seen while the node ran (to reach the controller after it stopped). */
  servers: string[];
}

/** The refusal codes of a leave prepare, in words. */
const REFUSAL_REASON: Partial<Record<ReplyErrorCode, string>> = {
  quorum: 'quorum would be lost',
  in_flight: 'another membership change is in flight',
  not_a_peer: 'not a member of the meta group',
  no_meta_leader: 'the meta group has no leader',
};

async function readLeaveRequest(df: DataFolder): Promise<LeaveRequestFile | null> {
  try {
    return JSON.parse(await readFile(df.path('leaveRequest'), 'utf8')) as LeaveRequestFile;
  } catch {
    return null;
  }
}

/** Client URLs other than this node's: from its running server's /varz, the stored list, the seeds. */
async function clusterClientUrls(state: NodeState, stored: string[], running: boolean): Promise<{ own: string; others: string[] }> {
  const own = ownClientUrl(state);
  const urls: string[] = [...stored];
  if (running) {
    try {
      const v = (await MonitoringClient.forPort(state.ports.http, state.host).varz()) as unknown as { connect_urls?: string[] };
      for (const u of v.connect_urls ?? []) urls.push(u.includes('://') ? u : `nats://${u}`);
    } catch {
      /* monitoring not reachable: seeds below */
    }
  }
  try {
    urls.push(...seedClientUrls(state));
  } catch {
    /* seeds were validated by up */
  }
  const others = [...new Set(urls)].filter((u) => u !== own);
  return { own, others };
}

export async function leaveCluster(opts: LeaveOptions): Promise<LeaveResult> {
  const say = opts.progress ?? (() => undefined);
  const timeoutMs = opts.timeoutMs ?? 60_000;
  const df = new DataFolder(opts.datafolder, opts.cwd);
  const state = (await df.exists()) ? await df.readState() : null;
  if (!state) throw new NbsError('ERR-BOOT-0006', `no node in ${df.root} (no state.json)`, { hint: 'pass --datafolder of the node that should leave' });
  if (!state.bundle) {
    throw new NbsError('ERR-CTL-0002', `${state.server_name} is not a secured node (started without --bundle): leave goes through the controller`, {
      hint: 'start the cluster with up --bundle FILE from init, or stop the node with down --confirm',
    });
  }
  const cluster = state.cluster ?? '';
  const base = { schema_version: 1 as const, datafolder: df.root, server_name: state.server_name, cluster };
  if (state.left && state.left.result === 'removed') {
    return { ...base, request_id: state.left.request_id, status: 'already_left', forced: false, stopped: false };
  }
  const bundle = await readBundle(state.bundle);
  if (!opts.confirm) {
    throw new NbsError('ERR-CORE-0005', `leave removes ${state.server_name} from cluster ${bundle.cluster} and stops it; repeat with --confirm`);
  }

  // The request_id survives a crash or retry in the data folder.
  const previous = await readLeaveRequest(df);
  const reuse = previous && previous.server_name === state.server_name ? previous : null;
  const ps = await df.processStatus();
  const urls = await clusterClientUrls(state, reuse?.servers ?? [], ps.running);
  const lr: LeaveRequestFile = reuse
    ? { ...reuse, force: reuse.force || opts.force, servers: [...new Set([...reuse.servers, ...urls.others])] }
    : {
        schema_version: 1,
        request_id: `leave-${state.server_name.replace(/[^A-Za-z0-9_-]/g, '_').slice(0, 80)}-${randomBytes(6).toString('hex')}`,
        server_name: state.server_name,
        cluster: bundle.cluster,
        created_at: new Date().toISOString(),
        force: opts.force,
        servers: urls.others,
      };
  await writeFileAtomic(df.path('leaveRequest'), `${JSON.stringify(lr, null, 2)}\n`);
  if (reuse) say(`retrying leave ${lr.request_id}`);

  const request = (phase: 'prepare' | 'commit'): ControllerRequest => ({
    schema_version: 1,
    request_id: lr.request_id,
    action: 'leave',
    sender: state.server_name,
    sent_at: new Date().toISOString(),
    params: { server_name: state.server_name, phase, ...(lr.force ? { force: true } : {}) },
  });

  const markLeft = async (result: 'removed' | 'pending') => {
    const fresh = (await df.readState()) ?? state;
    await df.writeState({ ...fresh, left: { at: new Date().toISOString(), request_id: lr.request_id, result }, updated_at: new Date().toISOString() });
  };

  // 1. prepare — through this node's server first, the others after it.
  let prepared: ControllerReply;
  let nc: NatsConnection | null = null;
  const timings: NonNullable<LeaveResult['timings_ms']> = {};
  let t0 = Date.now();
  try {
    const via = ps.running || lr.servers.length === 0 ? [urls.own, ...lr.servers] : lr.servers;
    nc = await connectAsNode(bundle, via, `nbs-leave-${state.server_name}`);
    say(`asking the controller of ${bundle.cluster} whether ${state.server_name} may leave (request ${lr.request_id})`);
    prepared = await requestController(nc, bundle.cluster, request('prepare'), Math.min(timeoutMs, 30_000));
  } catch (e) {
    await nc?.close().catch(() => undefined);
    if (!(e instanceof NbsError) || e.id !== 'ERR-CTL-0001' || !opts.stopAnyway) throw e;
    say(`controller unreachable (${e.message}); --stop-anyway: stopping the node`);
    const stopped = ps.running ? (await stopNode(df, { ...(opts.bin ? { bin: opts.bin } : {}) }), true) : false;
    await markLeft('pending');
    return { ...base, request_id: lr.request_id, status: 'pending', forced: lr.force, stopped, reason: `controller unreachable: ${e.message}; the peer removal is still pending` };
  }
  await nc.close().catch(() => undefined);
  timings.prepare = Date.now() - t0;

  const plan = (prepared.result?.['plan'] as LeavePlan | undefined) ?? undefined;
  if (prepared.status === 'already_done' && prepared.result?.['phase'] === 'done') {
    await markLeft('removed');
    await rm(df.path('leaveRequest'), { force: true });
    return { ...base, request_id: lr.request_id, status: 'removed', forced: lr.force, stopped: false, removal: prepared.result, controller_id: prepared.controller.id, ...(plan ? { plan } : {}) };
  }
  if (prepared.status === 'refused' || (prepared.status === 'already_done' && prepared.result?.['phase'] === 'refused')) {
    // A refusal is final for this request_id: the next attempt (e.g. with --force) starts afresh.
    await rm(df.path('leaveRequest'), { force: true });
    const reasons = prepared.error?.details ?? (plan?.reasons ?? []);
    const why = (prepared.error && REFUSAL_REASON[prepared.error.code]) ?? prepared.error?.message ?? 'unsafe';
    throw new NbsError('ERR-CTL-0004', `the controller refused the leave of ${state.server_name}: ${why}`, {
      details: reasons,
      data: { request_id: lr.request_id, code: prepared.error?.code ?? null, ...(plan ? { plan } : {}) },
      hint: prepared.error?.code === 'not_a_peer' ? 'this server is not a member of the meta group; nothing to remove' : 'read the numbers above; leave --confirm --force overrides when you accept the risk',
    });
  }
  if (prepared.status !== 'accepted') {
    throw new NbsError('ERR-CTL-0005', `leave prepare failed: ${prepared.error?.code ?? prepared.status}: ${prepared.error?.message ?? ''}`, { data: { request_id: lr.request_id, reply: prepared } });
  }
  if (prepared.result?.['overridden'] && (prepared.result['overridden'] as string[]).length > 0) {
    say(`--force overrides: ${(prepared.result['overridden'] as string[]).join('; ')}`);
  }

  // 2. stop the local server (lame duck).
  let stopped = false;
  t0 = Date.now();
  const now = await df.processStatus();
  if (now.running) {
    say(`stopping ${state.server_name} (lame duck)`);
    await stopNode(df, { ...(opts.bin ? { bin: opts.bin } : {}) });
    stopped = true;
  }

  timings.stop = Date.now() - t0;
  t0 = Date.now();
  // 3. commit — through the other servers (this one is down now).
  let committed: ControllerReply;
  try {
    nc = await connectAsNode(bundle, lr.servers.length > 0 ? lr.servers : [urls.own], `nbs-leave-${state.server_name}`);
    say('asking the controller to remove the peer');
    committed = await requestController(nc, bundle.cluster, request('commit'), timeoutMs);
  } catch (e) {
    await nc?.close().catch(() => undefined);
    if (!(e instanceof NbsError) || e.id !== 'ERR-CTL-0001') throw e;
    await markLeft('pending');
    return { ...base, request_id: lr.request_id, status: 'pending', forced: lr.force, stopped, reason: `${e.message}; run leave --confirm again to finish`, ...(plan ? { plan } : {}) };
  }
  await nc.close().catch(() => undefined);
  timings.commit = Date.now() - t0;

  if (committed.status === 'done' || (committed.status === 'already_done' && committed.result?.['phase'] === 'done')) {
    await markLeft('removed');
    // Finished: state.json `left.request_id` keeps the id; the request file only means "in progress".
    await rm(df.path('leaveRequest'), { force: true });
    return { ...base, request_id: lr.request_id, status: 'removed', forced: lr.force, stopped, removal: committed.result ?? {}, controller_id: committed.controller.id, timings_ms: timings, ...(plan ? { plan } : {}) };
  }
  if (committed.status === 'pending') {
    await markLeft('pending');
    return { ...base, request_id: lr.request_id, status: 'pending', forced: lr.force, stopped, reason: `${committed.error?.message ?? 'removal not committed'}; run leave --confirm again to finish`, ...(plan ? { plan } : {}) };
  }
  if (stopped || !now.running) await markLeft('pending');
  throw new NbsError('ERR-CTL-0005', `leave commit failed: ${committed.error?.code ?? committed.status}: ${committed.error?.message ?? ''}`, {
    data: { request_id: lr.request_id, reply: committed },
    ...(stopped ? { details: ['the node is stopped; run leave --confirm again to retry the removal'] } : {}),
  });
}
