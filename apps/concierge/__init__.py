"""The restaurant concierge: an example application on the NLU, dialogue and generation."""
