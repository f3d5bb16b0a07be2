/** Types of the `parse-prometheus-text-format` package (it ships none), as far as the tests use it. */
declare module "parse-prometheus-text-format" {
  /** One sample of a counter, gauge or untyped family; of a histogram, one labelled series. */
  export interface PromSample {
    labels?: Record<string, string>;
    value?: string;
    buckets?: Record<string, string>;
    count?: string;
    sum?: string;
  }
  /** One metric family. */
  export interface PromFamily {
    name: string;
    help: string;
    type: "COUNTER" | "GAUGE" | "HISTOGRAM" | "SUMMARY" | "UNTYPED";
    metrics: PromSample[];
  }
  /** Parses the Prometheus text exposition format. */
  export default function parsePrometheusTextFormat(text: string): PromFamily[];
}
