#!/usr/bin/env -S node --max-semi-space-size=4 --optimize-for-size
/**
 * crikitd: a complete CRI runtime daemon assembled from crikit's pieces.
 *
 * ```
 * crikitd [--config FILE] [--socket PATH] [--root DIR] [--state DIR] [--log-level LEVEL]
 * crikitd --version | --help
 * ```
 *
 * Start-up: read the TOML config (defaults when the file is absent and no
 * `--config` was given), apply the command-line overrides, write the
 * embedded default CNI network into the conf dir if it has none, start the
 * Prometheus endpoint and tracing when configured (see `observability.ts`), listen on
 * the socket at once (calls answer Unavailable until recovery is done),
 * recover, then open the readiness gate.
 *
 * Besides the handlers of the config's `[runtimes]`, the handler `wasi`
 * (examples/wasi-runtime) runs WebAssembly modules in worker threads,
 * unless the config names a handler `wasi` itself.
 *
 * With a streaming runtime, the streaming server of Exec, Attach and
 * PortForward listens on the `[stream]` address before the CRI socket.
 *
 * Shutdown on SIGTERM or SIGINT: the server stops accepting calls and drains
 * those in flight, the streaming sessions are aborted, the service stops its monitors; containers keep running
 * under conmon and are picked up by the next start (WebAssembly modules end
 * with the daemon, and are then reported exited, reason Unknown). JSON logs
 * (pino) go to stderr.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { pino } from "pino";
import { parseDaemonConfig, resolveDaemonConfig, type DaemonConfig } from "crikit/config";
import { createCriService, ensureDefaultCniConfig, type CriService } from "crikit/server";
import { StreamingServer, type StreamingRuntime, type StreamingServerOptions } from "crikit/streaming";
import { CriServer } from "crikit/transport";
import { createWasiHandler, oneHandlerPerPod } from "../wasi-runtime/main.js";
import { startObservability } from "./observability.js";

const VERSION = "0.1.0";
const DEFAULT_CONFIG = "/etc/crikit/crikit.toml";

const HELP = `crikitd ${VERSION}: a Kubernetes CRI runtime built with crikit

Usage: crikitd [options]

Options:
  -c, --config FILE      TOML configuration (default ${DEFAULT_CONFIG}, used if present)
      --socket PATH      CRI socket (overrides "socket")
      --root DIR         persistent state directory (overrides "root")
      --state DIR        volatile state directory (overrides "state")
      --log-level LEVEL  trace, debug, info, warn, error, fatal or silent (overrides "log_level")
  -v, --version          print the version and exit
  -h, --help             print this help and exit

Use it with crictl:
  crictl --runtime-endpoint unix:///run/crikit/crikit.sock version
`;

async function loadConfig(file: string | undefined): Promise<DaemonConfig> {
  let text = "";
  try {
    text = await readFile(file ?? DEFAULT_CONFIG, "utf8");
  } catch (err) {
    if (file !== undefined || (err as NodeJS.ErrnoException).code !== "ENOENT") throw new Error(`cannot read config ${file ?? DEFAULT_CONFIG}: ${(err as Error).message}`);
  }
  return parseDaemonConfig(text);
}

/**
 * Builds what runs Exec, Attach and PortForward sessions, once the service
 * exists (the sessions start only later, when clients connect).
 */
type StreamingRuntimeFactory = (service: CriService, config: DaemonConfig) => StreamingRuntime;

/** What the daemon is built with beyond its configuration. */
interface CrikitdOptions {
  /** The streaming runtime; without one no streaming server runs and Exec, Attach and PortForward answer Unimplemented. */
  streamingRuntime?: StreamingRuntimeFactory | undefined;
}

/** The streaming server's options from the `[stream]` section. */
async function streamingOptions(config: DaemonConfig): Promise<Omit<StreamingServerOptions, "runtime">> {
  const s = config.stream;
  const o: Omit<StreamingServerOptions, "runtime"> = {
    address: s.address,
    port: s.port,
    tokenTtlMs: s.token_ttl_ms,
    maxPendingTokens: s.max_pending_tokens,
    streamCreationTimeoutMs: s.stream_creation_timeout_ms,
    idleTimeoutMs: s.idle_timeout_ms,
  };
  if (s.tls_cert_file !== undefined && s.tls_key_file !== undefined) o.tls = { cert: await readFile(s.tls_cert_file), key: await readFile(s.tls_key_file) };
  return o;
}

async function main(options: CrikitdOptions): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        config: { type: "string", short: "c" },
        socket: { type: "string" },
        root: { type: "string" },
        state: { type: "string" },
        "log-level": { type: "string" },
        version: { type: "boolean", short: "v" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    process.stderr.write(`crikitd: ${(err as Error).message}\n\n${HELP}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(HELP);
    return 0;
  }
  if (args.version) {
    process.stdout.write(`crikitd ${VERSION}\n`);
    return 0;
  }
  let config: DaemonConfig;
  try {
    const base = await loadConfig(args.config);
    // Overrides go through the same validation as the file.
    const merged = { ...base, ...(args.socket ? { socket: args.socket } : {}), ...(args.root ? { root: args.root } : {}), ...(args.state ? { state: args.state } : {}), ...(args["log-level"] ? { log_level: args["log-level"] } : {}) };
    if (args.state) for (const rt of Object.values(merged.runtimes)) if (rt.root?.startsWith(`${base.state}/`)) delete rt.root;
    config = resolveDaemonConfig(merged as unknown as Record<string, unknown>);
  } catch (err) {
    process.stderr.write(`crikitd: ${(err as Error).message}\n`);
    return 2;
  }
  const log = pino({ level: config.log_level, base: { pid: process.pid } }, pino.destination(2));
  const written = await ensureDefaultCniConfig(config.cni.conf_dir);
  if (written) log.info({ file: written }, "no CNI configuration found; wrote the default network");
  // Before the service: tracing's context manager must be in place before any call.
  const observability = await startObservability(config, log, VERSION);
  // The streaming server needs the runtime, the runtime the service, the service the server's URLs: the
  // server calls the runtime only when a client connects, so it delegates to one built right after.
  let streamingRuntime: StreamingRuntime | undefined;
  const sessions = (): StreamingRuntime => streamingRuntime as StreamingRuntime;
  let streaming: StreamingServer | undefined;
  if (options.streamingRuntime) {
    streaming = new StreamingServer({
      ...(await streamingOptions(config)),
      logger: log,
      runtime: {
        exec: (...a) => sessions().exec(...a),
        attach: (...a) => sessions().attach(...a),
        portForward: (...a) => sessions().portForward(...a),
        preparePortForward: (id) => sessions().preparePortForward?.(id),
      },
    });
    await streaming.listen();
  }
  // The handler "wasi" next to the configured ones: WebAssembly modules in worker threads.
  const wasi = config.runtimes["wasi"] === undefined ? createWasiHandler({ stateDir: join(config.state, "wasi") }) : undefined;
  const service = createCriService({
    config,
    logger: log,
    version: VERSION,
    ...(streaming ? { streaming } : {}),
    ...(wasi ? { handlers: { wasi }, hooks: oneHandlerPerPod("wasi") } : {}),
  });
  streamingRuntime = options.streamingRuntime?.(service, config);
  const server = new CriServer({
    socketPath: config.socket,
    ...service.handlers(),
    logger: log,
    maxMessageBytes: config.max_message_bytes,
    // One source of truth: the service's recovery, started once the socket is ours, opens the readiness gate.
    ready: () => service.recover(),
    interceptors: observability.interceptors,
  });
  await server.listen();
  log.info({ socket: config.socket, root: config.root, state: config.state, streaming: streaming?.baseUrl ?? null, version: VERSION }, "crikitd listening; recovering");
  let stopping = false;
  const stop = async (sig: string): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info({ signal: sig }, "shutting down: draining calls; containers keep running");
    await server.close();
    await streaming?.close();
    await service.close();
    await wasi?.runtime.close();
    await observability.close();
    log.info({}, "stopped");
    log.flush();
    process.exit(0);
  };
  process.on("SIGTERM", () => void stop("SIGTERM"));
  process.on("SIGINT", () => void stop("SIGINT"));
  try {
    await service.recover();
  } catch (err) {
    log.fatal({ err: (err as Error).message }, "recovery failed");
    await server.destroy();
    await streaming?.close();
    return 1;
  }
  log.info({ sandboxes: service.sandboxes.size, containers: service.containers.size }, "ready");
  return -1;
}

// Exec, Attach and PortForward sessions run through the containers' OCI runtime handlers and in the pods'
// network namespaces (CriService.streamingRuntime()).
main({ streamingRuntime: (service) => service.streamingRuntime() }).then(
  (code) => {
    if (code >= 0) process.exit(code);
  },
  (err: unknown) => {
    process.stderr.write(`crikitd: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
