"""The NLU subgraph: intents and entities for an utterance or a dialogue turn."""
