"""The request stage's answer: an HTTP status and a GraphQL response body.

`GraphQLResponse` lives in `router/plugins/service.py`, below the stages, so a
plugin wrapping the request stage (`Plugin.graphql_service`) can name it; it is
re-exported here.
"""

from __future__ import annotations

from router.plugins.service import GraphQLResponse

__all__ = ["GraphQLResponse"]
