"""Plan execution: subgraph clients, entity fetches, merging and response shaping."""
