// Adds `/// <reference lib="dom" />` and `/// <reference lib="dom.iterable" />`
// to the compiled declarations of the entry points whose types cross
// connect's (crikit/transport, crikit/client). Run by `npm run build` after tsc.
//
// Why: connect's declarations name `HeadersInit`, a type of the DOM lib that
// Node's types do not declare, so a consumer without the DOM lib and with
// `skipLibCheck: false` failed to compile. `HeadersInit` is a type alias, which
// cannot be declared a second time: a package-level `type HeadersInit = ...`
// would break every consumer that has the DOM lib. Referencing the lib works
// with and without it (dom.iterable keeps `Headers#keys()` and the like as
// Node's types have them). crikit's own sources are compiled without the DOM
// lib; only the shipped declarations reference it.
import { readFileSync, writeFileSync } from "node:fs";

const refs = '/// <reference lib="dom" />\n/// <reference lib="dom.iterable" />\n';
for (const entry of ["transport", "client"]) {
  const url = new URL(`../dist/src/${entry}/index.d.ts`, import.meta.url);
  const text = readFileSync(url, "utf8");
  if (!text.startsWith(refs)) writeFileSync(url, refs + text);
}
