/**
 * Reading a CRI-format log file (the scratch log conmon writes for an
 * ExecSync, see `cri-log.ts` for the format) back into its two streams as
 * bytes, each kept to a cap: the content of every record goes to its
 * stream, and an `F` record ends a line.
 *
 * @packageDocumentation
 */
import { open } from "node:fs/promises";
import type { Capped } from "./exec-process.js";

/** Split the log at `file` into `out` and `err`; a missing file adds nothing. @internal */
export async function readCriLogInto(file: string, out: Capped, err: Capped): Promise<void> {
  let fh;
  try {
    fh = await open(file, "r");
  } catch {
    return;
  }
  try {
    // The log is whole (conmon is done with it): a read buffer of its size, at most 1 MiB, and none for an empty log.
    const size = (await fh.stat()).size;
    if (size === 0) return;
    let rest = Buffer.alloc(0);
    const chunk = Buffer.allocUnsafe(Math.min(size, 1 << 20));
    for (;;) {
      const { bytesRead } = await fh.read(chunk, 0, chunk.length, null);
      if (bytesRead === 0) break;
      let data = Buffer.concat([rest, chunk.subarray(0, bytesRead)]);
      for (let nl = data.indexOf(10); nl >= 0; nl = data.indexOf(10)) {
        takeRecord(data.subarray(0, nl), out, err);
        data = data.subarray(nl + 1);
      }
      rest = Buffer.from(data);
    }
    if (rest.length > 0) takeRecord(rest, out, err);
  } finally {
    await fh.close();
  }
}

function takeRecord(line: Buffer, out: Capped, err: Capped): void {
  // <time> <stream> <P|F> <content>
  const s1 = line.indexOf(32);
  const s2 = s1 < 0 ? -1 : line.indexOf(32, s1 + 1);
  const s3 = s2 < 0 ? -1 : line.indexOf(32, s2 + 1);
  if (s3 < 0) return;
  const stream = line.subarray(s1 + 1, s2).toString("latin1");
  const tag = line.subarray(s2 + 1, s3).toString("latin1");
  const target = stream === "stderr" ? err : out;
  target.push(Buffer.from(line.subarray(s3 + 1)));
  if (tag === "F") target.push(Buffer.from("\n"));
}
