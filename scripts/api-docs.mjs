#!/usr/bin/env node
// The API reference in docs/api/, generated from the TSDoc (npm run docs).
//
// api-extractor writes one doc model per entry point (temp/api/*.api.json,
// by scripts/api-report.mjs); api-documenter renders one package per model.
// The root entry point exports every symbol except those of crikit/transport
// and crikit/client, so the reference is the root's model with the symbols
// only those two export added: one page per symbol, named once.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("..", import.meta.url));
const read = (name) => JSON.parse(readFileSync(`${root}temp/api/${name}.api.json`, "utf8"));
const model = read("crikit");
const entry = model.members[0];
const names = new Set(entry.members.map((m) => `${m.kind}:${m.name}`));
for (const extra of ["crikit-transport", "crikit-client"]) {
  for (const m of read(extra).members[0].members) {
    if (!names.has(`${m.kind}:${m.name}`)) {
      names.add(`${m.kind}:${m.name}`);
      entry.members.push(m);
    }
  }
}
entry.members.sort((a, b) => a.name.localeCompare(b.name));
const input = `${root}temp/api-docs-input`;
rmSync(input, { recursive: true, force: true });
mkdirSync(input, { recursive: true });
writeFileSync(`${input}/crikit.api.json`, JSON.stringify(model, null, 2));
rmSync(`${root}docs/api`, { recursive: true, force: true });
execFileSync(`${root}node_modules/.bin/api-documenter`, ["markdown", "--input-folder", input, "--output-folder", `${root}docs/api`], { stdio: ["ignore", "ignore", "inherit"] });
console.log("docs/api: the API reference, from the TSDoc of every entry point");
