"""The generation subgraph: `Turn.reply`, `Query.generate` and the `replyStream` subscription."""
