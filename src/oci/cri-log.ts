/**
 * The CRI container log format, as conmon's `k8s-file` driver writes it.
 *
 * One record per line: `<RFC3339Nano time> <stream> <tag> <content>`, where
 * stream is `stdout` or `stderr` and tag is `F` (the record ends a line) or
 * `P` (partial: the line continues in the next record of the same stream).
 * conmon reads the container's output in chunks of at most 8192 bytes and
 * writes one record per chunk piece, so a line longer than that (or one
 * written in several pieces) arrives as `P` records closed by an `F` record.
 * conmon writes times as `2026-11-23T17:30:43.700825880+00:00`.
 *
 * This file is pure.
 *
 * @packageDocumentation
 */

/**
 * One record of a CRI log file.
 *
 * @public
 */
export interface CriLogRecord {
  /** The timestamp exactly as written (RFC 3339 with nanoseconds). */
  time: string;
  /** The stream the line was written to (the record's second field). */
  stream: "stdout" | "stderr";
  /** `true` for a `P` record: the line continues in the next record. */
  partial: boolean;
  /** The content, without the trailing newline. */
  content: string;
}

const recordRe = /^(\S+) (stdout|stderr) ([PF]) (.*)$/s;

/**
 * Parse one line of a CRI log file, or `undefined` if it is not a record.
 *
 * @public
 */
export function parseCriLogLine(line: string): CriLogRecord | undefined {
  const m = recordRe.exec(line);
  if (!m) return undefined;
  const [, time = "", stream, tag, content = ""] = m;
  if (Number.isNaN(Date.parse(time))) return undefined;
  return { time, stream: stream === "stderr" ? "stderr" : "stdout", partial: tag === "P", content };
}

/**
 * Parse a whole CRI log text into records (lines that are not records are
 * skipped).
 *
 * @public
 */
export function parseCriLog(text: string): CriLogRecord[] {
  const out: CriLogRecord[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const r = parseCriLogLine(line);
    if (r) out.push(r);
  }
  return out;
}

/**
 * Join records into whole lines per stream: `P` records are glued to the
 * record that follows on the same stream. A trailing run of `P` records with
 * no `F` yet is returned as a last, unterminated line.
 *
 * @public
 */
export function joinCriLogLines(records: readonly CriLogRecord[]): { stream: "stdout" | "stderr"; time: string; line: string }[] {
  const out: { stream: "stdout" | "stderr"; time: string; line: string }[] = [];
  const open: Record<"stdout" | "stderr", { time: string; parts: string[] } | undefined> = { stdout: undefined, stderr: undefined };
  for (const r of records) {
    const cur = open[r.stream] ?? { time: r.time, parts: [] };
    cur.parts.push(r.content);
    if (r.partial) {
      open[r.stream] = cur;
    } else {
      out.push({ stream: r.stream, time: cur.time, line: cur.parts.join("") });
      open[r.stream] = undefined;
    }
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const cur = open[stream];
    if (cur) out.push({ stream, time: cur.time, line: cur.parts.join("") });
  }
  return out;
}
