"""Natural-language understanding: joint intent + entity model on MiniLM, rules, metrics."""
