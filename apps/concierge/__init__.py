"""The concierge: a restaurant-booking assistant built on Chorus's NLU, dialogue and generation."""
