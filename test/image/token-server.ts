/**
 * Test support: a bearer-token service for docker-registry's `token` auth,
 * on 127.0.0.1. It signs RS256 JWTs with a throwaway key whose self-signed
 * certificate (made with openssl) is the registry's root bundle, and hands
 * out tokens for a Basic username/password (GET) or an OAuth2 refresh token
 * (POST grant_type=refresh_token). It counts the tokens it issues.
 */
import { randomBytes, sign } from "node:crypto";
import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { join } from "node:path";
import { execa } from "execa";

export interface TokenServer {
  realm: string;
  service: string;
  issuer: string;
  certPath: string;
  /** Tokens issued, by scope. */
  issued: Map<string, number>;
  close(): Promise<void>;
}

const b64u = (b: Buffer | string): string => Buffer.from(b).toString("base64url");

export async function startTokenServer(dir: string, users: { username: string; password: string; refreshToken: string }): Promise<TokenServer> {
  const keyPath = join(dir, "token-key.pem");
  const certPath = join(dir, "token-cert.pem");
  await execa("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", keyPath, "-out", certPath, "-days", "1", "-subj", "/CN=crikit-test-token"]);
  const key = await readFile(keyPath, "utf8");
  const der = (await readFile(certPath, "utf8")).replace(/-----[^-]+-----|\s/g, "");
  const service = "crikit-test-registry";
  const issuer = "crikit-test-issuer";
  const issued = new Map<string, number>();
  const makeToken = (sub: string, scope: string): string => {
    const access = scope
      .split(" ")
      .filter(Boolean)
      .map((s) => {
        const [type, name, actions] = s.split(":");
        return { type, name, actions: (actions ?? "").split(",") };
      });
    const now = Math.floor(Date.now() / 1000);
    const header = b64u(JSON.stringify({ typ: "JWT", alg: "RS256", x5c: [der] }));
    const claims = b64u(JSON.stringify({ iss: issuer, sub, aud: service, exp: now + 300, nbf: now - 10, iat: now, jti: randomBytes(8).toString("hex"), access }));
    const sig = b64u(sign("sha256", Buffer.from(`${header}.${claims}`), key));
    issued.set(scope, (issued.get(scope) ?? 0) + 1);
    return `${header}.${claims}.${sig}`;
  };
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://x");
    const reply = (status: number, body: object): void => {
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
    };
    if (req.method === "POST") {
      let body = "";
      req.on("data", (c: Buffer) => (body += c.toString()));
      req.on("end", () => {
        const form = new URLSearchParams(body);
        if (form.get("grant_type") !== "refresh_token" || form.get("refresh_token") !== users.refreshToken) return reply(401, { error: "invalid refresh token" });
        reply(200, { access_token: makeToken(users.username, form.get("scope") ?? ""), expires_in: 300 });
      });
      return;
    }
    const authz = req.headers.authorization ?? "";
    const [user, pass] = authz.startsWith("Basic ") ? Buffer.from(authz.slice(6), "base64").toString().split(":") : [];
    if (user !== users.username || pass !== users.password) return reply(401, { error: "bad credentials" });
    reply(200, { token: makeToken(user, url.searchParams.getAll("scope").join(" ")), expires_in: 300 });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const a = server.address();
  const port = typeof a === "object" && a ? a.port : 0;
  return {
    realm: `http://127.0.0.1:${port}/token`,
    service,
    issuer,
    certPath,
    issued,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
