/**
 * The security section of a secured node's server config, rendered from the node bundle
 * (DESIGN §5). Every node renders the same text from the same bundle:
 *
 *   accounts { SYS {users…}  CONTROL {jetstream: enabled, users…}  APP {jetstream: enabled, users…} }
 *   system_account: "SYS"
 *
 * Users are nkey users (public keys only — no secret appears in a server config). There is no
 * `no_auth_user` and no user without an nkey, so a client without a valid nkey is refused.
 * Pure: returns text.
 */
import type { NodeBundle, Permissions, SubjectRule } from './identity.js';
import { NbsError } from './errors.js';
import type { SecuritySection } from './server-config.js';

/** The `SecuritySection` of server-config.ts (appended verbatim to the config). */
export type SecuredConfigSection = SecuritySection;

/** Subjects and keys only contain characters that need no escaping; quote defensively anyway. */
function q(value: string): string {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f"\\]/.test(value)) throw new NbsError('ERR-CTL-0002', `bundle value ${JSON.stringify(value)} contains a character not allowed in a server config`);
  return `"${value}"`;
}

function renderRule(rule: SubjectRule): string {
  const parts: string[] = [];
  if (rule.allow) parts.push(`allow: [${rule.allow.map(q).join(', ')}]`);
  if (rule.deny) parts.push(`deny: [${rule.deny.map(q).join(', ')}]`);
  return `{ ${parts.join(', ')} }`;
}

function renderPermissions(p: Permissions): string {
  const parts: string[] = [];
  if (p.publish) parts.push(`publish: ${renderRule(p.publish)}`);
  if (p.subscribe) parts.push(`subscribe: ${renderRule(p.subscribe)}`);
  return `{ ${parts.join(', ')} }`;
}

export function renderSecuredConfig(bundle: NodeBundle): SecuredConfigSection {
  const lines: string[] = [
    `# Secured cluster "${bundle.cluster}" from the node bundle (nats-bootstrap init).`,
    '# Accounts with nkey users; no open default user.',
    'accounts {',
  ];
  for (const account of bundle.accounts) {
    lines.push(`  ${account.name} {`);
    if (account.jetstream) lines.push('    jetstream: enabled');
    lines.push('    users: [');
    for (const user of bundle.users.filter((u) => u.account === account.name)) {
      if (!/^U[A-Z2-7]{55}$/.test(user.public_key)) throw new NbsError('ERR-CTL-0002', `bundle user "${user.role}" has an invalid public key`);
      const perms = user.permissions ? `, permissions: ${renderPermissions(user.permissions)}` : '';
      lines.push(`      { nkey: ${q(user.public_key)}${perms} }  # ${user.role}`);
    }
    lines.push('    ]', '  }');
  }
  lines.push('}', `system_account: ${q(bundle.system_account)}`);
  return { block: `${lines.join('\n')}\n` };
}
