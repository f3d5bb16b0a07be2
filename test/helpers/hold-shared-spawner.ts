/**
 * Preload (`node --import tsx --import ./test/helpers/hold-shared-spawner.ts --test ...`)
 * that holds the shared spawner for the whole test process, so adapter tests
 * that take the default runner run their commands through a spawner process
 * as the daemon does. Released at exit; the spawner then sees its stdin end.
 */
import { acquireSharedSpawner } from "../../src/process/index.js";

const held = acquireSharedSpawner();
process.once("beforeExit", () => void held.close());
