"""REST endpoints beside /graphql, each backed by a (persisted) GraphQL operation.

The one entry point is `rest_routes`: the routes to mount (none when `rest.endpoints`
is empty). Settings: `router/settings/rest.py`; behaviour: router/README.md, "REST".
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from router.http.endpoint import GraphQLHttp
from router.http.rest.api import RestApi
from router.http.rest.operation import RestConfigError

__all__ = ["RestApi", "RestConfigError", "rest_routes"]


def rest_routes(graphql: GraphQLHttp) -> list[BaseRoute]:
    """The REST endpoints and /openapi.json, running their operations through `graphql`.

    Raises `RestConfigError` when an endpoint's configuration is malformed (its operation
    does not parse, GET runs a mutation, ...). One whose operation does not fit the
    supergraph is disabled with a warning instead (`RestApi`).
    """
    if not graphql.router.settings.rest.endpoints:
        return []
    return RestApi(graphql).routes()
