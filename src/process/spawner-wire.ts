/**
 * The messages between a {@link Spawner} and its spawner process: one JSON
 * object per line, in both directions, over the spawner's stdin and stdout.
 *
 * @packageDocumentation
 */

/**
 * A command to run (daemon to spawner).
 *
 * @internal
 */
export interface SpawnWireRequest {
  readonly t: "run";
  /** Call number, unique per spawner. */
  readonly id: number;
  readonly file: string;
  readonly args: readonly string[];
  /** The whole environment of the command. */
  readonly env: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** Written to the command's stdin, which is then closed; without it stdin is /dev/null. */
  readonly input?: string;
  /** Kill after this long (ms); 0 for none. */
  readonly timeoutMs: number;
  /** Signal sent on timeout or cancel. */
  readonly killSignal: string;
  /** Run in a new process group and kill the whole group. */
  readonly group: boolean;
  /** Largest stdout and stderr kept, each, in bytes. */
  readonly maxBuffer: number;
  /**
   * Give the command a pipe as fd 3 and answer as soon as a first line
   * arrives on it (or it closes), without waiting for the command to end:
   * for a daemonizing command that reports on a sync pipe (conmon). The
   * command is not killed on timeout then.
   */
  readonly syncFd3?: boolean;
}

/**
 * Cancel a call (daemon to spawner): its process (group) is killed.
 *
 * @internal
 */
export interface SpawnWireCancel {
  readonly t: "cancel";
  readonly id: number;
}

/**
 * The outcome of one call (spawner to daemon).
 *
 * @internal
 */
export interface SpawnWireReply {
  readonly id: number;
  readonly pid?: number;
  /** Exit code, when the command exited. */
  readonly code?: number;
  /** The signal that ended it, when one did. */
  readonly signal?: string;
  readonly stdout: string;
  readonly stderr: string;
  readonly timedOut: boolean;
  readonly canceled: boolean;
  /** The first line on fd 3 (`syncFd3`), without its newline; absent when fd 3 closed first. */
  readonly syncLine?: string;
  /** Failure to start the command (`code`, as ENOENT, and message). */
  readonly spawnError?: { readonly code?: string; readonly message: string };
}
