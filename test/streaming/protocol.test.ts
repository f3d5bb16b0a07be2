/**
 * The protocol pieces shared by SPDY and WebSocket: negotiation, the exit
 * status on the error channel, the resize channel, the token cache, and
 * the WebSocket channel framing.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { AsyncQueue, ResizeParser, SPDY_REMOTE_COMMAND_PROTOCOLS, encodeStatus, negotiateProtocol } from "../../src/streaming/protocol.js";
import { RequestCache } from "../../src/streaming/request-cache.js";
import { decodeChannelMessage, encodeChannelMessage, selectWebSocketProtocol } from "../../src/streaming/websocket-handlers.js";
import { hasErrorCode } from "../../src/errors.js";

test("negotiation takes the client's first protocol the server supports", () => {
  const cases = [
    { desc: "crictl's SPDY offer gets v4", client: ["v5.channel.k8s.io", "v4.channel.k8s.io", "v3.channel.k8s.io"], want: "v4.channel.k8s.io" },
    { desc: "an old client gets v2", client: ["v2.channel.k8s.io", "channel.k8s.io"], want: "v2.channel.k8s.io" },
    { desc: "nothing in common", client: ["v9.channel.k8s.io"], want: undefined },
  ];
  for (const c of cases) assert.equal(negotiateProtocol(c.client, SPDY_REMOTE_COMMAND_PROTOCOLS), c.want, c.desc);
  assert.equal(selectWebSocketProtocol("exec", ["v5.channel.k8s.io"]), "v5.channel.k8s.io");
  assert.equal(selectWebSocketProtocol("exec", []), "");
  assert.equal(selectWebSocketProtocol("portforward", ["v5.channel.k8s.io"]), undefined);
  assert.equal(selectWebSocketProtocol("portforward", ["v4.base64.channel.k8s.io"]), "v4.base64.channel.k8s.io");
});

test("v4 and v5 write a JSON Status with the exit code as the ExitCode cause; v1-v3 write text", () => {
  assert.deepEqual(JSON.parse(encodeStatus("v4.channel.k8s.io", { exitCode: 0 }).toString()), { metadata: {}, status: "Success" });
  const failed = JSON.parse(encodeStatus("v5.channel.k8s.io", { exitCode: 3 }).toString());
  assert.equal(failed.status, "Failure");
  assert.equal(failed.reason, "NonZeroExitCode");
  assert.deepEqual(failed.details.causes, [{ reason: "ExitCode", message: "3" }]);
  const internal = JSON.parse(encodeStatus("v4.channel.k8s.io", { error: new Error("no such container") }).toString());
  assert.equal(internal.reason, "InternalError");
  assert.equal(internal.code, 500);
  assert.equal(internal.message, "no such container");
  assert.equal(encodeStatus("v3.channel.k8s.io", { exitCode: 0 }).length, 0);
  assert.match(encodeStatus("channel.k8s.io", { exitCode: 2 }).toString(), /non-zero exit code: exit status 2/);
  assert.equal(encodeStatus("v2.channel.k8s.io", { error: new Error("boom") }).toString(), "boom");
});

test("the resize channel parses back-to-back JSON objects split anywhere", () => {
  const p = new ResizeParser();
  const text = '{"Width":80,"Height":24}{"Width":120,"Height":40}\n{"Width":1e9,"Height":-1}{"Width":"x"}{"Width":7,';
  const got = [];
  for (const ch of text) got.push(...p.push(ch));
  got.push(...p.push('"Height":8}'));
  assert.deepEqual(got, [
    { width: 80, height: 24 },
    { width: 120, height: 40 },
    { width: 65535, height: 0 },
    { width: 7, height: 8 },
  ]);
});

test("an AsyncQueue delivers pushed items in order and ends pending reads", async () => {
  const q = new AsyncQueue<number>();
  q.push(1);
  const it = q[Symbol.asyncIterator]();
  assert.deepEqual(await it.next(), { value: 1, done: false });
  const pending = it.next();
  q.push(2);
  assert.deepEqual(await pending, { value: 2, done: false });
  const last = it.next();
  q.end();
  assert.deepEqual(await last, { value: undefined, done: true });
});

test("a token is good once; an expired one is told apart from an unknown one", () => {
  let now = 1000;
  const c = new RequestCache<string>({ ttlMs: 100, now: () => now });
  const a = c.insert("a");
  assert.match(a, /^[A-Za-z0-9_-]{22}$/);
  assert.deepEqual(c.take(a), { ok: true, value: "a" });
  assert.deepEqual(c.take(a), { ok: false, reason: "unknown" }, "reused");
  assert.deepEqual(c.take("nope"), { ok: false, reason: "unknown" });
  const b = c.insert("b");
  now += 100;
  assert.deepEqual(c.take(b), { ok: false, reason: "expired" });
  const d = c.insert("d");
  now += 250;
  c.insert("e");
  assert.deepEqual(c.take(d), { ok: false, reason: "unknown" }, "expired more than a TTL ago: swept");
});

test("more pending tokens than the bound is ResourceExhausted; expired ones do not count", () => {
  let now = 0;
  const c = new RequestCache<number>({ ttlMs: 10, maxPending: 2, now: () => now });
  c.insert(1);
  c.insert(2);
  assert.throws(() => c.insert(3), (e: unknown) => hasErrorCode(e, "ResourceExhausted"));
  now = 10;
  c.insert(4);
  assert.ok(c.size <= 3);
});

test("WebSocket channel messages: one channel byte, or an ASCII digit and base64", () => {
  const bin = encodeChannelMessage(false, 1, Buffer.from("hi")) as Buffer;
  assert.deepEqual([...bin], [1, 104, 105]);
  assert.deepEqual(decodeChannelMessage(false, bin, true), { channel: 1, data: Buffer.from("hi") });
  const text = encodeChannelMessage(true, 2, Buffer.from("hi"));
  assert.equal(text, "2aGk=");
  assert.deepEqual(decodeChannelMessage(true, Buffer.from(text as string), false), { channel: 2, data: Buffer.from("hi") });
  assert.deepEqual(decodeChannelMessage(false, Buffer.from([255, 0]), true), { channel: 255, data: Buffer.from([0]) });
  assert.equal(decodeChannelMessage(false, Buffer.alloc(0), true), undefined);
});
