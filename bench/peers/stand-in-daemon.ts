/**
 * A stand-in for crikitd used only to check the bench's process management
 * (start, wait for the socket, stop by pid, cleanup) while the real daemon
 * is not there: it reads the same TOML config, serves Version, empty
 * ListPodSandbox and ListContainers on the configured socket with crikit's
 * CriServer (every other RPC answers Unimplemented), and closes on SIGTERM.
 * With `--fail-early` it exits at once with a message on stderr.
 *
 * Usage: node --import tsx bench/peers/stand-in-daemon.ts --config FILE
 */
import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { parse } from "smol-toml";
import { CriServer } from "../../src/transport/index.js";

const { values } = parseArgs({ options: { config: { type: "string" }, "fail-early": { type: "boolean", default: false } } });
if (values["fail-early"]) {
  process.stderr.write("stand-in: failing early on purpose\n");
  process.exit(3);
}
const cfg = parse(await readFile(values.config ?? "", "utf8")) as { socket: string };
const server = new CriServer({
  socketPath: cfg.socket,
  ready: true,
  runtime: {
    version: () => ({ version: "0.1.0", runtimeName: "crikit-stand-in", runtimeVersion: "0.0.0", runtimeApiVersion: "v1" }),
    listPodSandbox: () => ({ items: [] }),
    listContainers: () => ({ containers: [] }),
  },
});
await server.listen();
process.once("SIGTERM", () => {
  void server.close({ timeoutMs: 1000 }).then(() => process.exit(0));
});
