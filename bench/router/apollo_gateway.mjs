// Apollo Gateway + Apollo Server (standalone) serving a supergraph file: the
// deployment a team would run instead of the Chorus router. The bench copies
// this file next to its node_modules (outside git) and runs
//   node apollo_gateway.mjs SUPERGRAPH_FILE PORT
import { readFileSync } from "node:fs";
import { ApolloGateway } from "@apollo/gateway";
import { ApolloServer } from "@apollo/server";
import { startStandaloneServer } from "@apollo/server/standalone";

const [file, port] = process.argv.slice(2);
const gateway = new ApolloGateway({ supergraphSdl: readFileSync(file, "utf8") });
const server = new ApolloServer({ gateway });
const { url } = await startStandaloneServer(server, {
  listen: { host: "127.0.0.1", port: Number(port) },
});
console.log(`apollo gateway ready at ${url}`);
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => server.stop().finally(() => process.exit(0)));
}
