// A Federation 2 subgraph in Node (@apollo/subgraph + @apollo/server) for the polyglot test:
// it owns Product (key: upc) and Query.topProducts; the Python subgraph adds stock and shipping.
// Run: NODE_PATH=<folder with node_modules> PORT=5201 node polyglot_products.cjs
const { ApolloServer } = require("@apollo/server");
const { startStandaloneServer } = require("@apollo/server/standalone");
const { buildSubgraphSchema } = require("@apollo/subgraph");
const { parse } = require("graphql");

const typeDefs = parse(`
  extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key", "@shareable"])

  type Product @key(fields: "upc") {
    upc: String!
    name: String!
    price: Int!
    weight: Int!
  }

  type Query {
    topProducts(first: Int = 5): [Product!]!
  }
`);

const products = [
  { upc: "1", name: "Table", price: 899, weight: 100 },
  { upc: "2", name: "Couch", price: 1299, weight: 1000 },
  { upc: "3", name: "Chair", price: 54, weight: 50 },
];

const resolvers = {
  Query: { topProducts: (_, { first }) => products.slice(0, first) },
  Product: { __resolveReference: (ref) => products.find((p) => p.upc === ref.upc) ?? null },
};

const server = new ApolloServer({ schema: buildSubgraphSchema([{ typeDefs, resolvers }]) });
startStandaloneServer(server, { listen: { port: Number(process.env.PORT), host: "127.0.0.1" } })
  .then(({ url }) => console.log(`products (node) ready at ${url}`))
  .catch((error) => {
    console.error(error);
    process.exit(1);
  });
