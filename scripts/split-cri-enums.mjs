// Moves the CRI enums out of the generated api_pb.ts into api_enums.ts, which
// imports nothing at run time, and makes api_pb.ts re-export them. Run by
// `npm run gen` right after `buf generate`.
//
// Why: api_pb.ts builds the whole CRI file descriptor (and loads
// @bufbuild/protobuf's reflection) when it is evaluated, about 20 MiB and
// 100 ms. The pure building blocks (crikit/spec, crikit/status) need only
// enum values such as NamespaceMode.POD; importing them from api_enums.ts
// keeps those entry points at the cost of their own code. There is one
// definition of each enum, so the types stay identical.
import { readFileSync, writeFileSync } from "node:fs";

const dir = new URL("../src/gen/runtime/v1/", import.meta.url);
const pbUrl = new URL("api_pb.ts", dir);
const src = readFileSync(pbUrl, "utf8");

// A TSDoc block followed by `export const X = {` ... `} as const;` or
// `export type X = ...;`, whose block says "@generated from enum".
const block = /\/\*\*\n(?: \*.*\n)*? \*\/\nexport (?:const (\w+) = \{\n[\s\S]*?\n\} as const;|type (\w+) = [^\n]*;)\n\n?/g;
const names = new Set();
const moved = [];
const rest = src.replace(block, (text, constName, typeName) => {
  if (!/^ \* @generated from enum /m.test(text)) return text;
  names.add(constName ?? typeName);
  moved.push(text.endsWith("\n\n") ? text : `${text}\n`);
  return "";
});
if (names.size === 0) throw new Error("split-cri-enums: no enum found in api_pb.ts (generator output changed?)");
const missing = [...names].filter((n) => !moved.some((t) => t.includes(`export const ${n} =`)) || !moved.some((t) => t.includes(`export type ${n} =`)));
if (missing.length > 0) throw new Error(`split-cri-enums: enums without both a value and a type: ${missing.join(", ")}`);

const header = src.slice(0, src.indexOf("\nimport ") + 1);
const list = [...names].sort().join(", ");
const enums =
  header.replace(/\/\/ @generated from file .*\n/, (l) => `${l}// Enums split from api_pb.ts by scripts/split-cri-enums.mjs: no run-time imports.\n`) +
  'import type { UnknownEnum } from "@bufbuild/protobuf";\n\n' +
  moved.join("");
// Drop UnknownEnum from api_pb.ts's imports once no type there names it.
const body = rest.replace(/^import type \{ Message, UnknownEnum \} from "@bufbuild\/protobuf";$/m, (line) =>
  /\bUnknownEnum\b/.test(rest.replace(line, "")) ? line : 'import type { Message } from "@bufbuild/protobuf";',
);
const firstImport = body.indexOf("\nimport ") + 1;
const pb =
  body.slice(0, firstImport) +
  `import { ${list} } from "./api_enums.js";\nexport { ${list} } from "./api_enums.js";\n` +
  body.slice(firstImport);
writeFileSync(new URL("api_enums.ts", dir), enums);
writeFileSync(pbUrl, pb);
console.log(`split-cri-enums: ${names.size} enums into api_enums.ts`);
