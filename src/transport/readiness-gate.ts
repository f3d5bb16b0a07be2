/**
 * The readiness gate: every RPC answers Unavailable until the runtime has
 * finished recovering its state, and again once the server is shutting down.
 *
 * States:
 * ```
 *   not-ready(reason) ──setReady()──▶ ready
 *        ▲    │                         │
 *        └────┼──────setNotReady(r)─────┘
 *             ▼                         ▼
 *          closing ◀────setClosing()────┘   (final)
 * ```
 * The kubelet retries Unavailable, so answering it before recovery is the
 * honest signal (containerd `checkInitialized` does the same).
 *
 * @packageDocumentation
 */
import { Code, ConnectError } from "@connectrpc/connect";
import type { Interceptor } from "@connectrpc/connect";

/**
 * The state of a {@link ReadinessGate}.
 *
 * @public
 */
export type ReadinessState = "not-ready" | "ready" | "closing";

/**
 * Options for {@link ReadinessGate}.
 *
 * @public
 */
export interface ReadinessGateOptions {
  /**
   * Why the runtime is not ready yet; the client sees
   * `runtime is not ready: <reason>`.
   * @defaultValue `"recovering"`
   */
  reason?: string;
  /**
   * Start ready (for tests and for runtimes without state to recover).
   * @defaultValue `false`
   */
  ready?: boolean;
}

/**
 * Holds whether RPCs may run. Shared by the readiness interceptor and the
 * server that owns it.
 *
 * @public
 */
export class ReadinessGate {
  #state: ReadinessState;
  #reason: string;
  readonly #waiters = new Set<() => void>();

  constructor(options: ReadinessGateOptions = {}) {
    this.#state = options.ready === true ? "ready" : "not-ready";
    this.#reason = options.reason ?? "recovering";
  }

  /** The current state. */
  get state(): ReadinessState {
    return this.#state;
  }

  /** Whether RPCs are served. */
  get isReady(): boolean {
    return this.#state === "ready";
  }

  /** Open the gate. No effect once closing. */
  setReady(): void {
    if (this.#state === "closing") return;
    this.#state = "ready";
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }

  /** Close the gate again, with the reason clients will see. No effect once closing. */
  setNotReady(reason: string): void {
    if (this.#state === "closing") return;
    this.#state = "not-ready";
    this.#reason = reason;
  }

  /** Close the gate for good: the server is shutting down. */
  setClosing(): void {
    this.#state = "closing";
    for (const w of this.#waiters) w();
    this.#waiters.clear();
  }

  /**
   * Throw the Unavailable `ConnectError` a client gets when the gate is not
   * open; return when it is.
   */
  check(): void {
    if (this.#state === "ready") return;
    if (this.#state === "closing") throw new ConnectError("runtime is shutting down", Code.Unavailable);
    throw new ConnectError(`runtime is not ready: ${this.#reason}`, Code.Unavailable);
  }

  /** Resolve once the gate is ready (or closing). */
  whenReady(): Promise<void> {
    if (this.#state !== "not-ready") return Promise.resolve();
    return new Promise((resolve) => this.#waiters.add(resolve));
  }
}

/**
 * An interceptor that answers Unavailable for every call while `gate` is not
 * ready, for unary and streaming RPCs alike, before the handler runs.
 *
 * @public
 */
export function createReadinessInterceptor(gate: ReadinessGate): Interceptor {
  return (next) => (req) => {
    gate.check();
    return next(req);
  };
}
