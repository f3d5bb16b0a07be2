/**
 * The worker-thread side of {@link UnpackThread}: applies layers read from
 * blob files with {@link applyLayer}, one message per layer.
 *
 * Protocol (structured-clone messages on `parentPort`):
 *
 * ```
 * in:  { type: "apply", id, dir, blob, compression, lowerDirs }
 *      { type: "abort", id }                 cancels that job, if running
 * out: { id, result: ApplyLayerResult }
 *      { id, error: WireError }              the job's error, see errorToWire
 * ```
 *
 * Every job gets an answer, also when aborted, so the caller knows when the
 * worker has stopped writing into `dir`.
 *
 * @packageDocumentation
 */
import { createReadStream } from "node:fs";
import { parentPort } from "node:worker_threads";
import { errorToWire, type UnpackRequest } from "./unpack-wire.js";
import { applyLayer } from "./unpack.js";

const port = parentPort;
if (port === null) throw new Error("unpack-worker runs only as a worker thread");
const running = new Map<number, AbortController>();

port.on("message", (m: UnpackRequest) => {
  if (m.type === "abort") {
    running.get(m.id)?.abort();
    return;
  }
  const ac = new AbortController();
  running.set(m.id, ac);
  const source = createReadStream(m.blob, { highWaterMark: 1 << 20 });
  applyLayer(m.dir, source, { compression: m.compression, lowerDirs: m.lowerDirs, signal: ac.signal }).then(
    (result) => {
      running.delete(m.id);
      port.postMessage({ id: m.id, result });
    },
    (err: unknown) => {
      running.delete(m.id);
      port.postMessage({ id: m.id, error: errorToWire(err) });
    },
  );
});
