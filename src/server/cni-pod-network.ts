/**
 * crikit's {@link PodNetwork} over its CNI manager and netns manager.
 *
 * @packageDocumentation
 */
import type { CniManager, NetnsManager } from "../network/index.js";
import type { PodNetwork } from "./service-context.js";

/**
 * crikit's {@link PodNetwork}: CNI plugins through `cni`, pods' network
 * namespaces pinned by `netns`.
 *
 * @public
 */
export function createCniPodNetwork(cni: CniManager, netns: NetnsManager): PodNetwork {
  return {
    status: (o) => cni.status(o),
    setPodCidrs: (cidrs) => cni.setPodCidrs(cidrs),
    createNetns: (name, o) => netns.create(name, o),
    removeNetns: (path, o) => netns.remove(path, o),
    netnsExists: (path) => netns.exists(path),
    setUpPod: (req, o) => cni.setUpPod(req, o),
    tearDownPod: (req, o) => cni.tearDownPod(req, o),
  };
}
