"""Operation limits (depth, height, aliases, root fields, repeated fields, parser tokens).

Checked before validation, so an abusive document never reaches the validator.
"""
