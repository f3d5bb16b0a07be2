/**
 * The pod network the composition root builds, and what it leaves on the
 * host: before its first ADD on a network, the bridges and host-local
 * directories its plugins create that exist already are noted (see
 * `host-state.ts`); `close()` closes the CNI manager it built and, when no
 * pod is left, removes the unused ones it made and the netns directory's
 * mount.
 *
 * @packageDocumentation
 */
import type { Logger } from "../logger.js";
import { CniConfDir, type CniManager, type NetnsManager } from "../network/index.js";
import { createCniPodNetwork } from "./cni-pod-network.js";
import { networkHostState, presentHostState, removeHostState, type NetworkHostState } from "./host-state.js";
import type { PodNetwork } from "./service-context.js";
import { errMessage } from "./undo.js";

/** What {@link createOwnedPodNetwork} built and so owns. */
export interface OwnedNetworkOptions {
  ownsCni: boolean;
  ownsNetns: boolean;
  log: Logger;
  /** How many pods are left (host state goes only with none). */
  podsLeft: () => number;
}

/** A {@link PodNetwork} over `cni` and `netns` that releases, at `close()`, what it owns (see the file header). */
export function createOwnedPodNetwork(cni: CniManager, netns: NetnsManager, o: OwnedNetworkOptions): PodNetwork & { close(): Promise<void> } {
  const base = createCniPodNetwork(cni, netns);
  const noted = new Map<string, { state: NetworkHostState; before: NetworkHostState }>();
  let confDir: CniConfDir | undefined;
  const note = async (): Promise<void> => {
    if (!o.ownsCni) return;
    confDir ??= new CniConfDir(cni.confDir);
    const list = (await confDir.load()).defaultNetwork;
    if (list === undefined || noted.has(list.name)) return;
    const state = networkHostState(list);
    noted.set(list.name, { state, before: await presentHostState(state) });
  };
  const removeMade = async (): Promise<void> => {
    for (const [network, { state, before }] of noted) {
      const present = await presentHostState(state);
      const made = { bridges: present.bridges.filter((b) => !before.bridges.includes(b)), ipamDirs: present.ipamDirs.filter((d) => !before.ipamDirs.includes(d)) };
      const { removed, failed } = await removeHostState(made);
      if (removed.length > 0) o.log.info({ network, removed }, "removed the pod network's host state");
      for (const f of failed) o.log.warn({ network, what: f.what, err: errMessage(f.err) }, "cannot remove the pod network's host state");
    }
    noted.clear();
    if (o.ownsNetns) await netns.close?.().catch(() => undefined);
  };
  return {
    ...base,
    async setUpPod(req, options) {
      await note().catch((err: unknown) => o.log.debug({ err: errMessage(err) }, "cannot read the pod network's host state"));
      return base.setUpPod(req, options);
    },
    async close() {
      if (o.ownsCni) await cni.close().catch(() => undefined);
      if (o.podsLeft() === 0) await removeMade();
    },
  };
}
