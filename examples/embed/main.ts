/**
 * The README's "Embed crikit" quick start: a toy CRI runtime served with
 * crikit/transport, and a client that calls it. Run it with
 * `node --import tsx examples/embed/main.ts /tmp/toy-cri.sock`.
 */
// --- quick start ---
import { createCriClient } from "crikit/client";
import { PodSandboxState, type PodSandboxMetadata } from "crikit/cri";
import { invalidArgument, notFound } from "crikit/errors";
import { generateId, makeSandboxName } from "crikit/naming";
import { Registrar } from "crikit/stores";
import { CriServer, type RuntimeServiceImpl } from "crikit/transport";

// A toy runtime: pods are records in memory, nothing runs.
const pods = new Map<string, { metadata: PodSandboxMetadata; createdAt: bigint }>();
const names = new Registrar(); // one pod per kubelet name, as the CRI requires
const runtime: RuntimeServiceImpl = {
  version: () => ({ version: "0.1.0", runtimeName: "toy", runtimeVersion: "0.1.0", runtimeApiVersion: "v1" }),
  runPodSandbox: ({ config }) => {
    const metadata = config?.metadata;
    if (metadata === undefined) throw invalidArgument("pod sandbox metadata is missing", "metadata"); // gRPC InvalidArgument
    const id = generateId();
    names.reserve(makeSandboxName(metadata), id); // AlreadyExists when the kubelet's name is taken
    pods.set(id, { metadata, createdAt: BigInt(Date.now()) * 1_000_000n });
    return { podSandboxId: id };
  },
  podSandboxStatus: ({ podSandboxId }) => {
    const pod = pods.get(podSandboxId);
    if (pod === undefined) throw notFound(`pod sandbox ${podSandboxId} not found`);
    return { status: { id: podSandboxId, ...pod, state: PodSandboxState.SANDBOX_READY } };
  },
  listPodSandbox: () => ({ items: [...pods].map(([id, pod]) => ({ id, ...pod, state: PodSandboxState.SANDBOX_READY })) }),
};

const socketPath = process.argv[2] ?? "/tmp/toy-cri.sock";
const server = new CriServer({ socketPath, runtime, ready: true }); // RPCs left out answer Unimplemented
await server.listen();

await using client = createCriClient(socketPath); // what a test or a tool uses
const { runtimeName } = await client.runtime.version({});
const metadata = { name: "web", namespace: "default", uid: "7f3c", attempt: 0 };
const { podSandboxId } = await client.runtime.runPodSandbox({ config: { metadata } });
const { items } = await client.runtime.listPodSandbox({});
console.log(runtimeName, items.map((p) => makeSandboxName(p.metadata!)), podSandboxId === items[0]?.id);
await server.close();
// --- end quick start ---
