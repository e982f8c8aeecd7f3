// Runs GraphiQL's bundled graphql-ws client (argv[2]: the UMD file) against a
// router (argv[3]: ws URL) for one operation (argv[4]) and prints the events.
const { createClient } = require(process.argv[2]);

const client = createClient({ url: process.argv[3], webSocketImpl: WebSocket, retryAttempts: 0 });
const events = [];
client.subscribe(
  { query: process.argv[4] },
  {
    next: (value) => events.push(value),
    error: (err) => {
      const reason = err && (err.reason || err.message || err);
      console.log(JSON.stringify({ error: String(reason) }));
      process.exit(1);
    },
    complete: () => {
      console.log(JSON.stringify({ events }));
      client.dispose();
      process.exit(0);
    },
  },
);
