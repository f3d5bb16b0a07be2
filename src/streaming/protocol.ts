/**
 * What the Kubernetes streaming protocols share whatever carries them
 * (SPDY or WebSocket): sub-protocol names and their negotiation, the exit
 * status written on the error channel, the resize channel's JSON, and the
 * streaming requests the tokens hold.
 *
 * Exit status on the error channel:
 * - `v4.channel.k8s.io` and `v5.channel.k8s.io`: a JSON `Status`,
 *   `{"metadata":{},"status":"Success"}`, or for a non-zero exit
 *   `status: "Failure"`, `reason: "NonZeroExitCode"` with a cause
 *   `{"reason":"ExitCode","message":"<code>"}` (client-go turns it into the
 *   exit code); a failure of the runtime is `reason: "InternalError"`,
 *   `code: 500`.
 * - earlier versions: nothing on success, else the error as plain text.
 *
 * @packageDocumentation
 */
import type { StreamingIO, StreamingRuntime, TerminalSize } from "./runtime.js";

/** remotecommand sub-protocols over SPDY, most preferred first. @public */
export const SPDY_REMOTE_COMMAND_PROTOCOLS = ["v4.channel.k8s.io", "v3.channel.k8s.io", "v2.channel.k8s.io", "channel.k8s.io"] as const;
/** The port-forward sub-protocol over SPDY. @public */
export const SPDY_PORT_FORWARD_PROTOCOL = "portforward.k8s.io";
/** remotecommand sub-protocols over WebSocket. @public */
export const WEBSOCKET_REMOTE_COMMAND_PROTOCOLS = [
  "v5.channel.k8s.io",
  "v4.channel.k8s.io",
  "v4.base64.channel.k8s.io",
  "channel.k8s.io",
  "base64.channel.k8s.io",
] as const;
/** Port-forward sub-protocols over WebSocket. @public */
export const WEBSOCKET_PORT_FORWARD_PROTOCOLS = ["v4.channel.k8s.io", "v4.base64.channel.k8s.io", "channel.k8s.io", "base64.channel.k8s.io"] as const;

/** An exec request as a token holds it. @public */
export interface StreamExecRequest {
  /** The kind of session. */
  kind: "exec";
  /** The full container ID. */
  containerId: string;
  /** The command and its arguments. */
  cmd: string[];
  /** Whether the process gets a terminal. */
  tty: boolean;
  /** Whether the client sends stdin. */
  stdin: boolean;
  /** Whether the client wants stdout. */
  stdout: boolean;
  /** Whether the client wants stderr (never with tty). */
  stderr: boolean;
}

/** An attach request as a token holds it. @public */
export interface StreamAttachRequest {
  /** The kind of session. */
  kind: "attach";
  /** The full container ID. */
  containerId: string;
  /** Whether the container has a terminal. */
  tty: boolean;
  /** Whether the client sends stdin. */
  stdin: boolean;
  /** Whether the client wants stdout. */
  stdout: boolean;
  /** Whether the client wants stderr (never with tty). */
  stderr: boolean;
}

/** A port-forward request as a token holds it. @public */
export interface StreamPortForwardRequest {
  /** The kind of session. */
  kind: "portforward";
  /** The full pod sandbox ID. */
  podSandboxId: string;
  /** The ports the RPC named (WebSocket clients that name none in the URL get these). */
  ports: number[];
}

/** A streaming request. @public */
export type StreamRequest = StreamExecRequest | StreamAttachRequest | StreamPortForwardRequest;

/**
 * The first of the client's protocols (in its order of preference) that
 * the server supports; `undefined` when none.
 *
 * @internal
 */
export function negotiateProtocol(client: readonly string[], server: readonly string[]): string | undefined {
  return client.find((p) => server.includes(p));
}

/** The outcome of a session, for the error channel. @internal */
export type SessionOutcome = { exitCode: number } | { error: Error };

/**
 * Run an exec or attach session on `runtime` and say how it ended: the exit
 * code (0 for an attach that ended), or the error the runtime threw.
 *
 * @internal
 */
export async function runRemoteCommand(
  runtime: StreamingRuntime,
  req: { kind: "exec"; containerId: string; cmd: readonly string[] } | { kind: "attach"; containerId: string },
  io: StreamingIO,
  signal: AbortSignal,
): Promise<SessionOutcome> {
  try {
    if (req.kind === "exec") return { exitCode: await runtime.exec(req.containerId, req.cmd, io, signal) };
    await runtime.attach(req.containerId, io, signal);
    return { exitCode: 0 };
  } catch (err) {
    return { error: err instanceof Error ? err : new Error(String(err)) };
  }
}

/** Whether a protocol writes JSON `Status` on its error channel. @internal */
export function writesJsonStatus(protocol: string): boolean {
  return protocol.startsWith("v4.") || protocol.startsWith("v5.");
}

/**
 * The bytes written on the error channel for `outcome` under `protocol`;
 * empty for a success under v1-v3.
 *
 * @internal
 */
export function encodeStatus(protocol: string, outcome: SessionOutcome): Buffer {
  if (writesJsonStatus(protocol)) {
    if ("error" in outcome) {
      const message = outcome.error.message;
      return Buffer.from(JSON.stringify({ metadata: {}, status: "Failure", message, reason: "InternalError", details: { causes: [{ message }] }, code: 500 }));
    }
    if (outcome.exitCode === 0) return Buffer.from(JSON.stringify({ metadata: {}, status: "Success" }));
    return Buffer.from(
      JSON.stringify({
        metadata: {},
        status: "Failure",
        message: `command terminated with non-zero exit code: exit status ${outcome.exitCode}`,
        reason: "NonZeroExitCode",
        details: { causes: [{ reason: "ExitCode", message: String(outcome.exitCode) }] },
      }),
    );
  }
  if ("error" in outcome) return Buffer.from(outcome.error.message);
  if (outcome.exitCode === 0) return Buffer.alloc(0);
  return Buffer.from(`command terminated with non-zero exit code: exit status ${outcome.exitCode}`);
}

/**
 * Parses the resize channel: a sequence of JSON objects
 * `{"Width":<cols>,"Height":<rows>}`, back to back or split anywhere
 * across chunks. A malformed object is skipped.
 *
 * @internal
 */
export class ResizeParser {
  #text = "";

  /** Adds `chunk` and returns the sizes now complete. */
  push(chunk: Buffer | string): TerminalSize[] {
    this.#text += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    const out: TerminalSize[] = [];
    let depth = 0;
    let inString = false;
    let escaped = false;
    let start = -1;
    let consumed = 0;
    for (let i = 0; i < this.#text.length; i++) {
      const c = this.#text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === "\\") escaped = true;
        else if (c === '"') inString = false;
        continue;
      }
      if (c === '"') inString = true;
      else if (c === "{") {
        if (depth === 0) start = i;
        depth++;
      } else if (c === "}" && depth > 0) {
        depth--;
        if (depth === 0) {
          const size = parseSize(this.#text.slice(start, i + 1));
          if (size) out.push(size);
          consumed = i + 1;
        }
      } else if (depth === 0) consumed = i + 1;
    }
    this.#text = this.#text.slice(consumed);
    if (this.#text.length > 64 * 1024) this.#text = "";
    return out;
  }
}

function parseSize(text: string): TerminalSize | undefined {
  try {
    const v = JSON.parse(text) as Record<string, unknown>;
    const width = v["Width"] ?? v["width"];
    const height = v["Height"] ?? v["height"];
    if (typeof width !== "number" || typeof height !== "number") return undefined;
    const clamp = (n: number): number => Math.max(0, Math.min(0xffff, Math.trunc(n)));
    return { width: clamp(width), height: clamp(height) };
  } catch {
    return undefined;
  }
}

/**
 * A push-driven async iterable (the resize channel's sizes); ending it
 * ends every pending iteration.
 *
 * @internal
 */
export class AsyncQueue<T> implements AsyncIterable<T> {
  readonly #items: T[] = [];
  #waiter: ((r: IteratorResult<T>) => void) | undefined;
  #ended = false;

  /** Adds an item (ignored once ended). */
  push(item: T): void {
    if (this.#ended) return;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = undefined;
      w({ value: item, done: false });
    } else this.#items.push(item);
  }

  /** Ends the sequence. */
  end(): void {
    this.#ended = true;
    this.#items.length = 0;
    const w = this.#waiter;
    this.#waiter = undefined;
    w?.({ value: undefined, done: true });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: (): Promise<IteratorResult<T>> => {
        const item = this.#items.shift();
        if (item !== undefined) return Promise.resolve({ value: item, done: false });
        if (this.#ended) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => (this.#waiter = resolve));
      },
      return: (): Promise<IteratorResult<T>> => {
        this.end();
        return Promise.resolve({ value: undefined, done: true });
      },
    };
  }
}
