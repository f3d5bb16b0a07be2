/**
 * ListMetricDescriptors, ListPodSandboxMetrics and StreamPodSandboxMetrics:
 * cAdvisor's container metrics with the kubelet's labels, read when asked
 * (see `src/stats/pod-metrics.ts`).
 *
 * @packageDocumentation
 */
import type { MessageInitShape } from "@bufbuild/protobuf";
import type {
  ListMetricDescriptorsRequest,
  ListMetricDescriptorsResponseSchema,
  ListPodSandboxMetricsRequest,
  ListPodSandboxMetricsResponseSchema,
  StreamPodSandboxMetricsRequest,
  StreamPodSandboxMetricsResponseSchema,
} from "../cri.js";
import { metricDescriptors, type PodMetricsSubject } from "../stats/index.js";
import type { SandboxRecord } from "../stores/index.js";
import type { CallContext, ServiceContext } from "./service-context.js";
import { podSubject, statsSandboxes } from "./stats-rpcs.js";
import { chunks } from "./undo.js";

/** What the stats collector needs of a pod for the metrics RPCs: the stats subject plus labels. */
function metricsSubject(c: ServiceContext, r: SandboxRecord): PodMetricsSubject {
  const p = podSubject(c, r);
  const meta = r.metadata.config.metadata;
  const pod = { namespace: meta?.namespace ?? "", pod: meta?.name ?? "" };
  return {
    ...p,
    labels: { container: "", id: r.id, image: "", name: r.metadata.name, ...pod },
    containers: p.containers.map((s) => {
      const rec = c.containers.get(s.id);
      const image = rec.metadata.runtime?.imageName ?? rec.metadata.config.image?.image ?? "";
      return { ...s, labels: { container: rec.metadata.config.metadata?.name ?? "", id: s.id, image, name: rec.metadata.name, ...pod }, startedAtNs: rec.status.startedAt };
    }),
  };
}

/** ListMetricDescriptors: cAdvisor's container metrics that ListPodSandboxMetrics returns. */
export function listMetricDescriptors(_c: ServiceContext, _req: ListMetricDescriptorsRequest, _call?: CallContext): MessageInitShape<typeof ListMetricDescriptorsResponseSchema> {
  return { descriptors: metricDescriptors() };
}

/** ListPodSandboxMetrics: every pod's and container's metrics, read when asked. */
export async function listPodSandboxMetrics(c: ServiceContext, _req: ListPodSandboxMetricsRequest, _call?: CallContext): Promise<MessageInitShape<typeof ListPodSandboxMetricsResponseSchema>> {
  return { podMetrics: await c.stats.listPodMetrics(statsSandboxes(c, undefined).map((r) => metricsSubject(c, r))) };
}

/** StreamPodSandboxMetrics: ListPodSandboxMetrics in chunks. */
export async function* streamPodSandboxMetrics(c: ServiceContext, _req: StreamPodSandboxMetricsRequest, _call?: CallContext): AsyncGenerator<MessageInitShape<typeof StreamPodSandboxMetricsResponseSchema>> {
  for (const chunk of chunks(statsSandboxes(c, undefined), 50)) yield { podSandboxMetrics: await c.stats.listPodMetrics(chunk.map((r) => metricsSubject(c, r))) };
}
