/**
 * The node side of the control plane: connect with the node credential (publish requests,
 * receive replies below its own inbox prefix — nothing else) and send ControllerRequests.
 */
import { NbsError } from '../domain/errors.js';
import { NODE_INBOX_PREFIX, type NodeBundle } from '../domain/identity.js';
import { requestSubject, type ControllerReply, type ControllerRequest } from '../domain/control-plane.js';
import { openConnection, type NatsConnection } from './nats-connection.js';

export async function connectAsNode(bundle: NodeBundle, servers: string[], name = 'nbs-node'): Promise<NatsConnection> {
  try {
    return await openConnection({
      servers,
      name,
      nkeySeed: bundle.node_credential.seed,
      inboxPrefix: NODE_INBOX_PREFIX,
      timeoutMs: 3000,
      reconnect: false,
    });
  } catch (e) {
    throw new NbsError('ERR-CTL-0001', `cannot reach any server of cluster ${bundle.cluster} (${servers.join(', ')}): ${(e as Error).message}`, { cause: e });
  }
}

/** Send one request; no responders or a timeout → ERR-CTL-0001 (controller unreachable). */
export async function requestController(nc: NatsConnection, cluster: string, req: ControllerRequest, timeoutMs: number): Promise<ControllerReply> {
  let m;
  try {
    m = await nc.request(requestSubject(cluster, req.action), JSON.stringify(req), { timeout: timeoutMs });
  } catch (e) {
    const msg = (e as Error).message;
    const noResponders = /no responders|503/i.test(msg) || (e as { code?: string }).code === '503';
    throw new NbsError('ERR-CTL-0001', noResponders ? `no controller is listening on ${requestSubject(cluster, req.action)}` : `the controller did not answer within ${Math.round(timeoutMs / 1000)} s (${msg})`, {
      cause: e,
      data: { request_id: req.request_id, reason: noResponders ? 'no_responders' : 'timeout' },
    });
  }
  try {
    return m.json<ControllerReply>();
  } catch (e) {
    throw new NbsError('ERR-CTL-0005', `the controller's reply is not JSON`, { cause: e });
  }
}
