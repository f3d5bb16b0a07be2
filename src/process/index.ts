/**
 * Starting short-lived commands off the daemon's event loop: a spawner
 * process, the {@link ProcessRunner} interface adapters call through, and
 * the shared default.
 *
 * @packageDocumentation
 */
export type { ProcessRunner, RunRequest, RunResult } from "./runner.js";
export { acquireSharedSpawner, defaultRunner, directRunner } from "./runner.js";
export type { Spawner, SpawnerOptions } from "./spawner.js";
export { createSpawner } from "./spawner.js";
export type { RunCommandOptions } from "./run-command.js";
export { runCommand } from "./run-command.js";
