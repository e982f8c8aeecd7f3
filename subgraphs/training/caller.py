"""Who made a request, for the record a correction keeps: the JWT's subject, or anonymous.

The router checks tokens (signature, issuer, audience, expiry) and, when its header
rules propagate `authorization` to this subgraph, the token arrives here already
verified; this module only reads its `sub` claim. The name is provenance for the
people who review corrections, not an authorisation: nothing is allowed or refused by
it, so a subgraph reachable without the router could be told any name.
"""

from __future__ import annotations

from collections.abc import Mapping

import jwt

ANONYMOUS = "anonymous"


def caller(headers: Mapping[str, str]) -> str:
    """The `sub` of the bearer token in `headers` (lower-case names), else ANONYMOUS."""
    value = headers.get("authorization", "")
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return ANONYMOUS
    try:
        claims = jwt.decode(token.strip(), options={"verify_signature": False})
    except jwt.PyJWTError:
        return ANONYMOUS
    subject = claims.get("sub")
    return str(subject)[:255] if subject else ANONYMOUS
