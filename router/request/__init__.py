"""Stage 2, the GraphQL request.

Persisted queries, parse and validate (cached, with operation limits and introspection
rules), variables, authorization, planning; hands a `PreparedRequest` to execution.
"""
