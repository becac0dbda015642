import { UserError } from '../lib/errors.ts';
import { networkNameProblem, tldProblem, type NetworkProperty } from '../lib/networks.ts';
import type { NetworkSettings } from '../lib/run-settings.ts';
import { printable } from '../lib/validate.ts';
import { GLOBAL_STREAM, type DomainEvent } from '../state/events.ts';
import { execute } from '../state/execute.ts';
import { appsOnNetwork, getNetwork } from '../state/network-queries.ts';
import { findAppById } from '../state/queries.ts';
import type { Context } from './context.ts';
import { changeRunSettings } from './run-settings.ts';

/**
 * `network:*`: the Docker networks an admin makes for apps to meet on, and each app's network
 * properties (run settings). An app may be attached only to a network made here, never to Docker's
 * own (`host`, `bridge`, `none`) or another app's private one: network names are checked against
 * the log, not against Docker.
 */

const docker = async (ctx: Context) => {
  const [{ connectDocker }, nets] = await Promise.all([import('../lib/docker-client.ts'), import('../runtime/networks.ts')]);
  return { docker: await connectDocker(ctx.settings), nets };
};

const check = (problem: string | undefined) => {
  if (problem) throw new UserError(problem);
};

export async function createNetwork(ctx: Context, name: string): Promise<void> {
  check(networkNameProblem(name));
  const store = await ctx.store();
  if (getNetwork(store.db, name)) throw new UserError(`Network ${name} already exists`);
  const { docker: d, nets } = await docker(ctx);
  if (await nets.networkExists(d, name)) throw new UserError(`Docker already has a network named ${name}, not made by dokku: choose another name`);
  await nets.ensureNetwork(d, name, {});
  execute(store, GLOBAL_STREAM, () => getNetwork(store.db, name), (n): DomainEvent[] => (n ? [] : [{ type: 'NetworkCreated', data: { name } }]), ctx.actor);
}

export async function destroyNetwork(ctx: Context, name: string, force: boolean): Promise<void> {
  const store = await ctx.store();
  if (!getNetwork(store.db, name)) throw new UserError(`Network ${printable(name)} does not exist (see network:list)`);
  const users = appsOnNetwork(store.db, name).map((id) => findAppById(store.db, id)?.name ?? id);
  if (users.length && !force) throw new UserError(`Network ${name} is set for ${users.join(', ')}: network:set them off it first (or --force)`);
  const { docker: d, nets } = await docker(ctx);
  const attached = await nets.networkContainers(d, name).catch(() => [] as string[]);
  if (attached.length && !force) throw new UserError(`Network ${name} still has containers: ${attached.join(', ')} (rebuild those apps, or --force)`);
  if (force) for (const c of attached) await d.getNetwork(name).disconnect({ Container: c, Force: true }).catch(() => undefined);
  await nets.removeNetwork(d, name);
  execute(store, GLOBAL_STREAM, () => getNetwork(store.db, name), (n): DomainEvent[] => (n ? [{ type: 'NetworkDestroyed', data: { name } }] : []), ctx.actor);
}

/** `network:rebuild`: makes the Docker network again when it went missing (after a daemon reset, say). */
export async function rebuildNetwork(ctx: Context, name: string): Promise<boolean> {
  const store = await ctx.store();
  if (!getNetwork(store.db, name)) throw new UserError(`Network ${printable(name)} does not exist (see network:list)`);
  const { docker: d, nets } = await docker(ctx);
  if (await nets.networkExists(d, name)) return false;
  await nets.ensureNetwork(d, name, {});
  return true;
}

export async function networkState(ctx: Context, name: string): Promise<{ exists: boolean; containers: string[] }> {
  const { docker: d, nets } = await docker(ctx);
  if (!(await nets.networkExists(d, name))) return { exists: false, containers: [] };
  return { exists: true, containers: await nets.networkContainers(d, name) };
}

/** `network:set APP|--global PROPERTY [VALUE...]`: no value resets the property. */
export async function setNetworkProperty(ctx: Context, app: string | undefined, key: NetworkProperty, values: string[]): Promise<boolean> {
  const store = await ctx.store();
  let value: string | string[] | boolean;
  switch (key) {
    case 'attach-post-create':
    case 'attach-post-deploy': {
      const names = values.flatMap((v) => v.split(',')).filter((v) => v !== '');
      for (const n of names) if (!getNetwork(store.db, n)) throw new UserError(`Network ${printable(n)} does not exist: an admin makes it with network:create`);
      value = [...new Set(names)];
      break;
    }
    case 'initial-network': {
      if (values.length > 1) throw new UserError('initial-network is one network');
      const n = values[0] ?? '';
      if (n !== '' && !getNetwork(store.db, n)) throw new UserError(`Network ${printable(n)} does not exist: an admin makes it with network:create`);
      value = n;
      break;
    }
    case 'bind-all-interfaces': {
      const v = values[0] ?? 'false';
      if (values.length > 1 || (v !== 'true' && v !== 'false')) throw new UserError("bind-all-interfaces is 'true' or 'false'");
      value = v === 'true';
      break;
    }
    case 'tld': {
      const v = values[0] ?? '';
      check(values.length > 1 ? 'tld is one DNS suffix' : tldProblem(v));
      value = v;
      break;
    }
    case 'static-web-listener':
      if ((values[0] ?? '') !== '') throw new UserError('static-web-listener is not supported yet: dokku routes only to its own containers');
      value = '';
      break;
  }
  const events = await changeRunSettings(
    ctx,
    app,
    (doc): DomainEvent[] => (JSON.stringify(doc.network[key as keyof NetworkSettings]) === JSON.stringify(value) ? [] : [{ type: 'NetworkPropertySet', data: { key, value } }]),
    { restart: false },
  );
  return events.length > 0;
}
