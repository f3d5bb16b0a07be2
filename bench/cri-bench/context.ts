/**
 * What every workload gets: the daemons under test (crikitd in each sandbox
 * mode it could start, and containerd), the images in the local registry,
 * the floor, and `alternate`, which runs one sample per daemon in turn
 * (A B A B ...) so that drift of the machine hits all of them alike.
 */
import type { BenchImages } from "../peers/images.js";
import type { Peer } from "../peers/peer.js";
import type { FloorRunner } from "./floor.js";
import { benchAbort, errText, grpcCode } from "./fixtures.js";
import type { Series } from "./result.js";

/** The run's shared state. */
export interface BenchContext {
  quick: boolean;
  /** crikitd peers, infra-less first (empty when crikitd could not start). */
  crikit: Peer[];
  /** Why `crikit` is empty or short, shown in the tables. */
  crikitStatus: string | undefined;
  containerd: Peer;
  images: BenchImages;
  work: string;
  /** The tools by hand; its samples grow as workloads interleave floor samples. */
  floor: FloorRunner;
  /** Daemon RSS (KiB) right after start-up, by peer label. */
  idleRssKiB: Map<string, number>;
  /** Progress output (stderr). */
  log(msg: string): void;
}

/** The peers compared in most workloads: the first crikitd (infra-less) and containerd. */
export function mainPeers(ctx: BenchContext): Peer[] {
  return [...ctx.crikit.slice(0, 1), ctx.containerd];
}

/** gRPC code 12. */
export const UNIMPLEMENTED = 12;

/** A series that has a status instead of samples, for a crikitd that is missing. */
export function missingCrikit(ctx: BenchContext, label = "crikitd"): Series[] {
  return ctx.crikit.length === 0 ? [{ label, kind: "crikitd", samples: [], status: `unavailable: ${ctx.crikitStatus ?? "not started"}` }] : [];
}

/**
 * For i in 0..n-1, for each peer: take one sample (`fn` returns ms or any
 * number). A peer whose call fails stops sampling; its series records the
 * error ("unimplemented" for gRPC Unimplemented). `between` runs before each
 * round (a floor sample, say).
 */
export async function alternate(peers: readonly Peer[], n: number, fn: (peer: Peer, i: number) => Promise<number>, between?: (i: number) => Promise<unknown>): Promise<Series[]> {
  const series = peers.map((p): Series => ({ label: p.label, kind: p.kind, samples: [] }));
  for (let i = 0; i < n; i++) {
    benchAbort.signal.throwIfAborted();
    await between?.(i);
    for (const [k, p] of peers.entries()) {
      const s = series[k] as Series;
      if (s.status !== undefined) continue;
      try {
        s.samples.push(await fn(p, i));
      } catch (e) {
        s.status = grpcCode(e) === UNIMPLEMENTED ? "unimplemented" : `failed: ${errText(e).slice(0, 160)}`;
        if (s.status !== "unimplemented") s.samples = [];
      }
    }
  }
  return series;
}

/**
 * Run a set-up step on each peer in turn; a peer whose set-up fails is left
 * out of the measurements and gets a series with status "set-up failed: ...".
 */
export async function setupEach(peers: readonly Peer[], fn: (peer: Peer) => Promise<void>, log: (m: string) => void): Promise<{ ok: Peer[]; failed: Series[] }> {
  const ok: Peer[] = [];
  const failed: Series[] = [];
  for (const p of peers) {
    try {
      await fn(p);
      ok.push(p);
    } catch (e) {
      const msg = `set-up failed: ${errText(e).slice(0, 160)}`;
      log(`${p.label}: ${msg}`);
      failed.push({ label: p.label, kind: p.kind, samples: [], status: msg });
    }
  }
  return { ok, failed };
}
