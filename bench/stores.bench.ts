/**
 * Store and ID-index lookups at 10,000 objects: unique 12-digit prefix
 * lookups in the TruncIndex, container store get by full ID and by prefix,
 * container store update, and container store list (unchanged, after an
 * update, after a delete and add). Baselines: a linear prefix scan and a Map get.
 */
import { nsPerOp } from "./harness.js";
import type { BenchRow } from "./harness.js";
import { create } from "@bufbuild/protobuf";
import { ContainerConfigSchema } from "../src/cri.js";
import { createRandomIdGenerator } from "../src/naming/index.js";
import { ContainerStore, TruncIndex, newContainerStatus } from "../src/stores/index.js";

export const title = "stores";

const N = 10_000;

export async function run({ quick }: { quick: boolean }): Promise<BenchRow[]> {
  // A seeded byte source so that runs are comparable.
  let seed = 0x2545f491;
  const ids = createRandomIdGenerator({
    randomBytes: (n) =>
      Uint8Array.from({ length: n }, () => {
        seed ^= seed << 13;
        seed ^= seed >>> 17;
        seed ^= seed << 5;
        return seed & 0xff;
      }),
  });
  const all = Array.from({ length: N }, () => ids.newId());
  const prefixes = all.map((id) => id.slice(0, 12));
  const opts = quick ? { batches: 5, opsPerBatch: 2_000 } : { batches: 30, opsPerBatch: 10_000 };

  const index = new TruncIndex();
  for (const id of all) index.add(id);

  const config = create(ContainerConfigSchema, { metadata: { name: "app", attempt: 0 } });
  const store = new ContainerStore();
  all.forEach((id, i) => {
    store.add(id, { name: `c${i}_p_ns_u_0`, sandboxId: "f".repeat(64), config, imageRef: "", logPath: "" }, newContainerStatus(BigInt(i + 1)));
  });

  const rows: BenchRow[] = [];
  rows.push(nsPerOp(`truncindex get, unique 12-digit prefix (${N} ids)`, (i) => index.get(prefixes[i % N] as string), opts));
  rows.push(nsPerOp(`truncindex add + delete (${N} ids)`, (i) => {
    const id = all[i % N] as string;
    index.delete(id);
    index.add(id);
  }, opts));
  rows.push(nsPerOp(`store get, full id (${N} objects)`, (i) => store.get(all[i % N] as string), opts));
  rows.push(nsPerOp(`store get, 12-digit prefix (${N} objects)`, (i) => store.get(prefixes[i % N] as string), opts));
  rows.push(nsPerOp(`store update, sync (${N} objects)`, (i) => store.update(all[i % N] as string, (s) => ({ ...s, pid: i })), opts));
  const listOpts = quick ? { batches: 5, opsPerBatch: 20 } : { batches: 20, opsPerBatch: 100 };
  rows.push(nsPerOp(`store list, unchanged (${N} objects)`, () => store.list(), listOpts));
  rows.push(nsPerOp(`store list after one update (${N} objects)`, (i) => {
    store.update(all[i % N] as string, (s) => ({ ...s, pid: i }));
    return store.list();
  }, listOpts));
  rows.push(nsPerOp(`store list after one delete + add (${N} objects)`, (i) => {
    const id = all[i % N] as string;
    const rec = store.delete(id);
    if (rec) store.add(id, rec.metadata, rec.status);
    return store.list();
  }, listOpts));
  // Baselines, measured in the same run: a linear scan for a prefix (a Map
  // without an index), and an exact Map lookup.
  const set = new Set(all);
  rows.push(nsPerOp(`baseline: linear prefix scan (${N} ids)`, (i) => {
    const p = prefixes[(i * 7919) % N] as string; // spread over the whole set
    for (const id of set) if (id.startsWith(p)) return id;
    return undefined;
  }, quick ? { batches: 5, opsPerBatch: 50 } : { batches: 20, opsPerBatch: 200 }));
  const map = new Map(all.map((id) => [id, id]));
  rows.push(nsPerOp(`baseline: Map get, full id (${N} ids)`, (i) => map.get(all[i % N] as string), opts));
  return rows;
}
