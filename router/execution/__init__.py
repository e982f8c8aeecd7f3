"""Stage 3, execution.

Walk the query plan (fetches, flattens, sequences, parallels, `@defer`, subscriptions),
merge entity results, shape the response with null propagation.
"""
