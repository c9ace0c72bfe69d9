/**
 * `doctor --controller`: ping the controller over NATS with the node credential of this node's
 * bundle, through this node's server and the seeds (the same way `leave` reaches it).
 */
import { readFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { nodeClientUrls, type NodeState } from '../../domain/node-state.js';
import { readBundle } from '../../infra/bundle-file.js';
import { connectAsNode, requestController } from '../../infra/controller-client.js';
import type { DoctorCheck } from '../doctor-checks.js';

export const controllerCheck: DoctorCheck = {
  id: 'controller',
  title: 'controller reachable over NATS',
  enabled: (ctx) => ctx.options.controller,
  async run(ctx) {
    if (!ctx.node.state_file) {
      return { status: 'fail', message: `no node in ${ctx.node.datafolder}: cannot find its node bundle`, hint: 'pass --datafolder of a node started with up --bundle' };
    }
    const state = JSON.parse(await readFile(ctx.node.state_file, 'utf8')) as NodeState;
    if (!state.bundle) {
      return { status: 'warn', message: `${state.server_name} is not a secured node (started without --bundle): it has no controller`, hint: 'create an identity with init and start the nodes with up --bundle FILE' };
    }
    const bundle = await readBundle(state.bundle);
    const servers = nodeClientUrls(state);
    const t0 = Date.now();
    let nc;
    try {
      nc = await connectAsNode(bundle, servers, 'nbs-doctor');
      const reply = await requestController(nc, bundle.cluster, { schema_version: 1, request_id: `doctor-${randomBytes(6).toString('hex')}`, action: 'ping', sender: state.server_name }, 3000);
      if (!reply.ok) return { status: 'fail', message: `the controller answered with an error: ${reply.error?.code ?? reply.status}`, hint: 'read the controller log' };
      return { status: 'ok', message: `controller ${reply.controller.id} of cluster ${bundle.cluster} answered in ${Date.now() - t0} ms`, hint: null };
    } catch (e) {
      return { status: 'fail', message: (e as Error).message, hint: 'start the controller (nats-bootstrap controller start --dir DIR) on the controller host; check that a cluster server is reachable' };
    } finally {
      await nc?.close().catch(() => undefined);
    }
  },
};
