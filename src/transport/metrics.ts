/**
 * A small in-process metrics registry for the CRI server: per RPC, calls
 * started, calls handled by gRPC code, and a latency histogram. Readable as a
 * plain object ({@link TransportMetrics.snapshot}) and in the Prometheus text
 * exposition format ({@link TransportMetrics.toPrometheus}), with the metric
 * names of go-grpc-prometheus (`grpc_server_started_total`,
 * `grpc_server_handled_total`, `grpc_server_handling_seconds`) so existing
 * gRPC dashboards work.
 *
 * Why not prom-client: its default registry is a process-wide singleton and it
 * brings runtime dependencies into an entry point that only needs three
 * metric families with fixed labels; a runtime that already uses prom-client
 * can serve {@link TransportMetrics.toPrometheus} next to its own output, or
 * copy {@link TransportMetrics.snapshot} into its own collectors.
 *
 * A streaming call's latency is its whole lifetime (a GetContainerEvents
 * stream lasts as long as the kubelet keeps it).
 *
 * @packageDocumentation
 */
import { Code, ConnectError, createContextKey } from "@connectrpc/connect";
import type { ContextKey, Interceptor } from "@connectrpc/connect";
import { withCallOutcome } from "./call-outcome.js";

/**
 * Histogram bucket upper bounds in seconds (the `le` labels).
 *
 * @public
 */
export const defaultLatencyBuckets: readonly number[] = Object.freeze([
  0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300,
]);

/**
 * One RPC's figures in a {@link TransportMetricsSnapshot}.
 *
 * @public
 */
export interface RpcMetrics {
  /** Fully qualified service, for instance `runtime.v1.RuntimeService`. */
  service: string;
  /** RPC name, for instance `Version`. */
  method: string;
  /** `unary` or `server_stream` (as in go-grpc-prometheus's `grpc_type`). */
  type: string;
  /** Calls that reached the server's interceptors. */
  started: number;
  /** Finished calls by gRPC code name (`OK`, `NotFound`, ...). */
  handled: Record<string, number>;
  /** Finished calls that did not end with OK. */
  errors: number;
  /** Latency histogram: cumulative counts per bucket bound (seconds), sum and count. */
  latency: { buckets: readonly number[]; counts: number[]; sum: number; count: number };
}

/**
 * A point-in-time copy of the registry.
 *
 * @public
 */
export interface TransportMetricsSnapshot {
  /** Keyed by `"<service>/<method>"`. */
  rpcs: Record<string, RpcMetrics>;
}

/**
 * Options for {@link TransportMetrics}.
 *
 * @public
 */
export interface TransportMetricsOptions {
  /**
   * Histogram bucket bounds, in seconds, ascending.
   * @defaultValue {@link defaultLatencyBuckets}
   */
  buckets?: readonly number[];
  /**
   * Labels added to every series, for instance `{ runtime: "crikitd" }`.
   * @defaultValue `{}`
   */
  constLabels?: Readonly<Record<string, string>>;
}

/**
 * The registry. One per server; safe to share between servers.
 *
 * @public
 */
export class TransportMetrics {
  readonly #buckets: readonly number[];
  readonly #constLabels: Readonly<Record<string, string>>;
  readonly #rpcs = new Map<string, RpcMetrics>();

  constructor(options: TransportMetricsOptions = {}) {
    const buckets = [...(options.buckets ?? defaultLatencyBuckets)];
    for (let i = 1; i < buckets.length; i++) {
      if (!((buckets[i] ?? 0) > (buckets[i - 1] ?? 0))) throw new RangeError("metrics buckets must be strictly ascending");
    }
    this.#buckets = Object.freeze(buckets);
    this.#constLabels = { ...(options.constLabels ?? {}) };
  }

  #entry(service: string, method: string, type: string): RpcMetrics {
    const key = `${service}/${method}`;
    let m = this.#rpcs.get(key);
    if (m === undefined) {
      m = {
        service,
        method,
        type,
        started: 0,
        handled: {},
        errors: 0,
        latency: { buckets: this.#buckets, counts: this.#buckets.map(() => 0), sum: 0, count: 0 },
      };
      this.#rpcs.set(key, m);
    }
    return m;
  }

  /** Count a call as started. */
  recordStart(service: string, method: string, type: string): void {
    this.#entry(service, method, type).started++;
  }

  /** Count a finished call with its code name (`OK` on success) and duration in seconds. */
  recordEnd(service: string, method: string, type: string, code: string, seconds: number): void {
    const m = this.#entry(service, method, type);
    m.handled[code] = (m.handled[code] ?? 0) + 1;
    if (code !== "OK") m.errors++;
    const h = m.latency;
    h.sum += seconds;
    h.count++;
    for (let i = 0; i < h.buckets.length; i++) {
      if (seconds <= (h.buckets[i] ?? Infinity)) h.counts[i] = (h.counts[i] ?? 0) + 1;
    }
  }

  /**
   * Move one finished call from code `from` to code `to`: for a call whose
   * handler succeeded but whose response then failed on the wire (for
   * instance a response larger than the limit, which connect rejects after
   * the interceptors ran).
   */
  reclassify(service: string, method: string, type: string, from: string, to: string): void {
    const m = this.#entry(service, method, type);
    if ((m.handled[from] ?? 0) === 0 || from === to) return;
    m.handled[from] = (m.handled[from] ?? 0) - 1;
    if (m.handled[from] === 0) delete m.handled[from];
    m.handled[to] = (m.handled[to] ?? 0) + 1;
    if (from === "OK") m.errors++;
    if (to === "OK") m.errors--;
  }

  /** A deep copy of every RPC's figures. */
  snapshot(): TransportMetricsSnapshot {
    const rpcs: Record<string, RpcMetrics> = {};
    for (const [k, m] of this.#rpcs) {
      rpcs[k] = { ...m, handled: { ...m.handled }, latency: { ...m.latency, counts: [...m.latency.counts] } };
    }
    return { rpcs };
  }

  /** Forget everything. */
  reset(): void {
    this.#rpcs.clear();
  }

  /** The registry in the Prometheus text exposition format (version 0.0.4). */
  toPrometheus(): string {
    const out: string[] = [];
    const lbl = (extra: Record<string, string>) => {
      const all = { ...this.#constLabels, ...extra };
      return `{${Object.entries(all)
        .map(([k, v]) => `${k}="${escapeLabel(v)}"`)
        .join(",")}}`;
    };
    const rpcs = [...this.#rpcs.values()];
    out.push("# HELP grpc_server_started_total Total number of RPCs started on the server.");
    out.push("# TYPE grpc_server_started_total counter");
    for (const m of rpcs) {
      out.push(`grpc_server_started_total${lbl({ grpc_type: m.type, grpc_service: m.service, grpc_method: m.method })} ${m.started}`);
    }
    out.push("# HELP grpc_server_handled_total Total number of RPCs completed on the server, regardless of success or failure.");
    out.push("# TYPE grpc_server_handled_total counter");
    for (const m of rpcs) {
      for (const [code, n] of Object.entries(m.handled)) {
        out.push(
          `grpc_server_handled_total${lbl({ grpc_type: m.type, grpc_service: m.service, grpc_method: m.method, grpc_code: code })} ${n}`,
        );
      }
    }
    out.push("# HELP grpc_server_handling_seconds Histogram of response latency (seconds) of gRPC that had been application-level handled by the server.");
    out.push("# TYPE grpc_server_handling_seconds histogram");
    for (const m of rpcs) {
      const base = { grpc_type: m.type, grpc_service: m.service, grpc_method: m.method };
      const h = m.latency;
      h.buckets.forEach((le, i) => out.push(`grpc_server_handling_seconds_bucket${lbl({ ...base, le: String(le) })} ${h.counts[i] ?? 0}`));
      out.push(`grpc_server_handling_seconds_bucket${lbl({ ...base, le: "+Inf" })} ${h.count}`);
      out.push(`grpc_server_handling_seconds_sum${lbl(base)} ${h.sum}`);
      out.push(`grpc_server_handling_seconds_count${lbl(base)} ${h.count}`);
    }
    return out.join("\n") + "\n";
  }
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
}

/** gRPC canonical code names as go-grpc-prometheus writes them. */
function codeName(err: unknown): string {
  if (err === undefined) return "OK";
  return Code[ConnectError.from(err).code] ?? "Unknown";
}

/**
 * The code the metrics interceptor recorded for the call ("" before it ends),
 * so that the server can correct it when the response then fails on the wire.
 *
 * @internal
 */
export const handledCodeKey: ContextKey<string> = createContextKey("", { description: "crikit handled code" });

const grpcTypes = { unary: "unary", server_streaming: "server_stream", client_streaming: "client_stream", bidi_streaming: "bidi_stream" } as const;

/**
 * go-grpc-prometheus's `grpc_type` for a method kind.
 *
 * @internal
 */
export function grpcTypeOf(kind: keyof typeof grpcTypes): string {
  return grpcTypes[kind];
}

/**
 * An interceptor that records every call in `metrics`.
 *
 * @public
 */
export function createMetricsInterceptor(metrics: TransportMetrics): Interceptor {
  return (next) => (req) => {
    const service = req.service.typeName;
    const method = req.method.name;
    const type = grpcTypeOf(req.method.methodKind);
    metrics.recordStart(service, method, type);
    const started = performance.now();
    return withCallOutcome(next, req, (err) => {
      const code = codeName(err);
      req.contextValues.set(handledCodeKey, code);
      metrics.recordEnd(service, method, type, code, (performance.now() - started) / 1000);
    });
  };
}
