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
 * {@link formatCriLog} and {@link criLogTime} write the format, for a runtime
 * that collects a container's output itself instead of through conmon.
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

/**
 * A CRI log timestamp, as conmon writes it: RFC 3339 in UTC with nine
 * fractional digits and `+00:00` (`2026-11-23T17:30:43.700825880+00:00`).
 *
 * @param ns - nanoseconds since the Unix epoch
 * @public
 */
export function criLogTime(ns: bigint): string {
  const ms = ns / 1_000_000n;
  const frac = (((ns % 1_000_000_000n) + 1_000_000_000n) % 1_000_000_000n).toString().padStart(9, "0");
  return `${new Date(Number(ms)).toISOString().slice(0, 19)}.${frac}+00:00`;
}

const NL = 0x0a;

/**
 * Format one chunk of a container's output as CRI log records, as conmon
 * does: every line the chunk ends is an `F` record, a trailing piece without
 * its newline a `P` record (the next chunk of the stream continues it).
 * Works on bytes, so a UTF-8 character split across chunks stays whole in
 * the joined line. An empty chunk gives no record.
 *
 * @param stream - the stream the chunk was written to
 * @param chunk - the bytes written
 * @param time - the records' timestamp (see {@link criLogTime})
 * @returns the records, each ending in a newline, to append to the log file
 *
 * @example
 * ```ts
 * appendFileSync(logPath, formatCriLog("stdout", bytes, criLogTime(BigInt(Date.now()) * 1_000_000n)));
 * ```
 *
 * @public
 */
export function formatCriLog(stream: "stdout" | "stderr", chunk: Uint8Array, time: string): Uint8Array {
  if (chunk.length === 0) return new Uint8Array(0);
  const enc = new TextEncoder();
  const full = enc.encode(`${time} ${stream} F `);
  const part = enc.encode(`${time} ${stream} P `);
  const pieces: Uint8Array[] = [];
  let start = 0;
  while (start < chunk.length) {
    const nl = chunk.indexOf(NL, start);
    const end = nl === -1 ? chunk.length : nl + 1;
    pieces.push(nl === -1 ? part : full, chunk.subarray(start, end));
    if (nl === -1) pieces.push(Uint8Array.of(NL));
    start = end;
  }
  const out = new Uint8Array(pieces.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of pieces) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
