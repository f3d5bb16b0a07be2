/** The `[stream]` section of the daemon configuration. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { defaultDaemonConfig, parseDaemonConfig } from "../../src/config/index.js";
import { hasErrorCode } from "../../src/errors.js";

test("the streaming server defaults: loopback, a free port, plain HTTP, the kubelet library's timeouts", () => {
  assert.deepEqual(defaultDaemonConfig().stream, {
    address: "127.0.0.1",
    port: 0,
    token_ttl_ms: 60000,
    max_pending_tokens: 1000,
    stream_creation_timeout_ms: 30000,
    idle_timeout_ms: 14400000,
  });
});

test("[stream] sets TLS files and timeouts; one TLS file without the other is an error", () => {
  const c = parseDaemonConfig(`[stream]\naddress = "0.0.0.0"\nport = 10010\ntls_cert_file = "/etc/crikit/stream.crt"\ntls_key_file = "/etc/crikit/stream.key"\ntoken_ttl_ms = 5000\nidle_timeout_ms = 60000\n`);
  assert.equal(c.stream.port, 10010);
  assert.equal(c.stream.tls_key_file, "/etc/crikit/stream.key");
  assert.equal(c.stream.token_ttl_ms, 5000);
  assert.equal(c.stream.stream_creation_timeout_ms, 30000);
  assert.throws(() => parseDaemonConfig(`[stream]\ntls_cert_file = "/x.crt"\n`), (e: unknown) => hasErrorCode(e, "InvalidArgument") && /go together/.test((e as Error).message));
  assert.throws(() => parseDaemonConfig(`[stream]\ntoken_ttl = 5\n`), /unknown key "token_ttl"/);
  assert.throws(() => parseDaemonConfig(`[stream]\nport = 70000\n`), /stream\.port/);
});
