/**
 * The OCI runtime adapter: runc or crun through conmon.
 *
 * @packageDocumentation
 */
export { OciRuntime } from "./oci-runtime.js";
export type { OciRuntimeOptions, OciLogger, OciCreateContainerInput, OciCallOptions, OciContainerStatus, OciRecoveryResult } from "./oci-runtime.js";
export { createRuntimeCli } from "./runtime-cli.js";
export type { RuntimeCli, RuntimeCliOptions, RuntimeCallOptions, RuntimeState } from "./runtime-cli.js";
export { RuntimeCommandError, isRuntimeCommandError, classifyRuntimeError, runtimeErrorMessage } from "./runtime-command-error.js";
export type { RuntimeErrorKind, RuntimeCommandFailure } from "./runtime-command-error.js";
export { buildConmonArgs, parseConmonSyncMessage, runConmon } from "./conmon.js";
export type { ConmonArgsInput, RunConmonOptions } from "./conmon.js";
export { runExecSync } from "./exec-sync.js";
export { runExecStream } from "./exec-stream.js";
export type { ExecStreamInput } from "./exec-stream.js";
export { attachToConmon } from "./attach.js";
export type { AttachInput } from "./attach.js";
export type { ExecSyncInput, ExecSyncResult } from "./exec-sync.js";
export { parseCriLogLine, parseCriLog, joinCriLogLines, formatCriLog, criLogTime } from "./cri-log.js";
export type { CriLogRecord } from "./cri-log.js";
export { ExitMonitor } from "./exit-monitor.js";
export type { ExitMonitorOptions } from "./exit-monitor.js";
