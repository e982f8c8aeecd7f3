// Peer composition for the agreement tests: reads {"subgraphs": [{name, url, sdl}]}
// on stdin and prints {"errors": [{code, message}], "supergraphSdl", "publicSdl"}.
// The package path comes from argv[2] (an `npm install --prefix` folder).
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { readFileSync } from "node:fs";

const prefix = process.argv[2];
const lib = join(prefix, "node_modules", "@theguild", "federation-composition", "esm", "index.js");
const gql = join(prefix, "node_modules", "graphql", "index.mjs");
const { composeServices } = await import(pathToFileURL(lib).href);
const { parse } = await import(pathToFileURL(gql).href);

const input = JSON.parse(readFileSync(0, "utf8"));
const out = [];
for (const item of input.cases) {
  let result;
  try {
    result = composeServices(
      item.subgraphs.map((s) => ({ name: s.name, url: s.url, typeDefs: parse(s.sdl) })),
    );
  } catch (e) {
    out.push({ errors: [{ code: "PEER_CRASH", message: String(e && e.stack) }] });
    continue;
  }
  const errors = (result.errors || []).map((e) => ({
    code: (e.extensions && e.extensions.code) || null,
    message: e.message,
  }));
  out.push({
    errors,
    supergraphSdl: result.supergraphSdl || null,
    publicSdl: result.publicSdl || null,
  });
}
process.stdout.write(JSON.stringify(out));
