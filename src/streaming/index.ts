/**
 * The streaming server of Exec, Attach and PortForward, usable by any
 * runtime built on crikit: tokens, SPDY/3.1 and WebSocket upgrades, the
 * Kubernetes remotecommand and port-forward protocols, and the
 * {@link StreamingRuntime} contract that runs the sessions.
 *
 * @packageDocumentation
 */
export { StreamingServer } from "./streaming-server.js";
export type { StreamingServerOptions, StreamingTlsOptions, ExecInit, AttachInit, PortForwardInit } from "./streaming-options.js";
export type { StreamingRuntime, StreamingIO, TerminalSize } from "./runtime.js";
export type { StreamingLogger } from "./logger.js";
export { SPDY_REMOTE_COMMAND_PROTOCOLS, SPDY_PORT_FORWARD_PROTOCOL, WEBSOCKET_REMOTE_COMMAND_PROTOCOLS, WEBSOCKET_PORT_FORWARD_PROTOCOLS } from "./protocol.js";
export type { StreamRequest, StreamExecRequest, StreamAttachRequest, StreamPortForwardRequest } from "./protocol.js";
