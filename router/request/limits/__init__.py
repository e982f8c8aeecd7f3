"""Operation limits (depth, height, aliases, root fields, repeated fields, parser tokens), checked before validation."""
