"""`@authenticated` / `@requiresScopes`.

The operation is rewritten before planning, the response gets an error per removed field.
"""
