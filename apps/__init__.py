"""Applications built on Chorus's generic capabilities (the concierge is the example)."""
