/**
 * The streaming server over WebSocket, driven by a `ws` client: v5 exec
 * with stdin closed by the close signal, the exit status, base64 framing,
 * and port-forward with its port prefix.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import { WebSocket } from "ws";
import { startHarness } from "./harness.js";

interface Collected {
  channels: Map<number, Buffer[]>;
  protocol: string;
  closeCode: number;
}

function wsUrl(url: string): string {
  return url.replace(/^http/, "ws");
}

/** Opens `url`, sends `send` once open, collects messages by channel until the server closes. */
function run(url: string, protocol: string | undefined, send: (ws: WebSocket) => void, base64 = false): Promise<Collected> {
  return new Promise((resolve, reject) => {
    const ws = protocol === undefined ? new WebSocket(wsUrl(url)) : new WebSocket(wsUrl(url), [protocol]);
    const channels = new Map<number, Buffer[]>();
    ws.on("open", () => send(ws));
    ws.on("message", (data: Buffer, isBinary: boolean) => {
      let ch: number;
      let payload: Buffer;
      if (base64 && !isBinary) {
        const text = data.toString();
        ch = text.charCodeAt(0) - 48;
        payload = Buffer.from(text.slice(1), "base64");
      } else {
        ch = data[0] as number;
        payload = data.subarray(1);
      }
      const list = channels.get(ch) ?? [];
      list.push(payload);
      channels.set(ch, list);
    });
    ws.on("close", (code) => resolve({ channels, protocol: ws.protocol, closeCode: code }));
    ws.on("error", reject);
  });
}

const text = (c: Collected, ch: number): string => Buffer.concat(c.channels.get(ch) ?? []).toString();

test("v5 exec: stdin is closed with the close signal, stdout comes back, the status is Success", async (t) => {
  const h = await startHarness(t);
  const url = h.streaming.getExec({ containerId: "c", cmd: ["sh", "-c", "cat; echo end-of-input"], stdin: true, stdout: true, stderr: true }).url;
  const c = await run(url, "v5.channel.k8s.io", (ws) => {
    ws.send(Buffer.from([0, ...Buffer.from("one\ntwo\n")]));
    ws.send(Buffer.from([255, 0]));
  });
  assert.equal(c.protocol, "v5.channel.k8s.io");
  assert.equal(text(c, 1), "one\ntwo\nend-of-input\n");
  assert.deepEqual(JSON.parse(text(c, 3)), { metadata: {}, status: "Success" });
  assert.equal(c.closeCode, 1000);
  assert.equal(h.rt.live, 0);
});

test("v4 exec: a non-zero exit is a NonZeroExitCode Status with the code; stderr on channel 2", async (t) => {
  const h = await startHarness(t);
  const url = h.streaming.getExec({ containerId: "c", cmd: ["sh", "-c", "echo oops >&2; exit 7"], stdout: true, stderr: true }).url;
  const c = await run(url, "v4.channel.k8s.io", () => {});
  assert.equal(text(c, 2), "oops\n");
  const status = JSON.parse(text(c, 3));
  assert.equal(status.reason, "NonZeroExitCode");
  assert.deepEqual(status.details.causes, [{ reason: "ExitCode", message: "7" }]);
});

test("v4.base64 exec: text messages with a channel digit and base64 payloads; resize reaches the runtime", async (t) => {
  const h = await startHarness(t);
  const url = h.streaming.getExec({ containerId: "c", cmd: ["sh", "-c", "sleep 0.3; echo hi"], stdout: true, tty: true }).url;
  const c = await run(
    url,
    "v4.base64.channel.k8s.io",
    (ws) => ws.send("4" + Buffer.from('{"Width":90,"Height":33}').toString("base64")),
    true,
  );
  assert.match(text(c, 1), /hi/);
  assert.deepEqual(h.rt.resizes, [{ width: 90, height: 33 }]);
});

test("a reused token is refused before the WebSocket opens", async (t) => {
  const h = await startHarness(t);
  const url = h.streaming.getExec({ containerId: "c", cmd: ["true"], stdout: true }).url;
  await run(url, "v5.channel.k8s.io", () => {});
  await assert.rejects(run(url, "v5.channel.k8s.io", () => {}), /404/);
});

test("port-forward over WebSocket: each channel opens with the port, data flows to the loopback server and back", async (t) => {
  const h = await startHarness(t);
  const echo = createServer((s) => s.on("data", (d) => s.end(Buffer.from(d.toString().toUpperCase()))));
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  t.after(() => echo.close());
  const port = (echo.address() as AddressInfo).port;
  const url = h.streaming.getPortForward({ podSandboxId: "p" }).url;
  const c = await run(`${url}?port=${port}`, "v4.channel.k8s.io", (ws) => ws.send(Buffer.from([0, ...Buffer.from("ping")])));
  const prefix = Buffer.alloc(2);
  prefix.writeUInt16LE(port);
  assert.deepEqual(c.channels.get(0)?.[0], prefix);
  assert.deepEqual(c.channels.get(1)?.[0], prefix);
  assert.equal(Buffer.concat(c.channels.get(0)!.slice(1)).toString(), "PING");
  assert.equal(c.channels.get(1)?.length, 1, "no error");
  assert.equal(h.rt.live, 0);
});

test("port-forward over WebSocket to a closed port writes the error on the error channel", async (t) => {
  const h = await startHarness(t);
  const probe = createServer();
  await new Promise<void>((r) => probe.listen(0, "127.0.0.1", r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise((r) => probe.close(r));
  const url = h.streaming.getPortForward({ podSandboxId: "p", port: [port] }).url;
  const c = await run(url, "v4.channel.k8s.io", () => {});
  assert.match(Buffer.concat(c.channels.get(1)!.slice(1)).toString(), /error forwarding port \d+ to pod p: .*ECONNREFUSED/);
});
