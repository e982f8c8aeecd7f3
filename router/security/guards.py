"""The router's hardening parts, built once from `RouterSettings`.

`Router` owns one `Guards`; it hands each subgraph client its traffic policy,
each supergraph snapshot its guarded document cache and authorizer, and the
HTTP endpoint its authenticator, rate limiter and persisted-query resolver.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from graphql import GraphQLSchema

from router.auth.authorize import Authorizer
from router.auth.directives import read_access_rules
from router.auth.jwt import Authenticator
from router.limits.documents import GuardedDocumentCache
from router.persisted.resolve import PersistedQueries
from router.subgraph_call.headers import HeaderPropagation
from router.subgraph_call.policy import SubgraphPolicy
from router.traffic.rate_limit import RateLimiter

if TYPE_CHECKING:
    from router.settings import RouterSettings
    from router.supergraph import Supergraph

__all__ = ["Guards"]


class Guards:
    def __init__(self, settings: RouterSettings) -> None:
        self.settings = settings
        jwt = settings.auth.jwt
        self.authenticator = Authenticator(jwt) if jwt is not None else None
        rl = settings.traffic.rate_limit
        self.rate_limiter = RateLimiter(rl) if rl is not None else None
        self.persisted = PersistedQueries(settings.persisted_queries)
        self.headers = HeaderPropagation(settings.traffic.headers)
        self.policies: dict[str, SubgraphPolicy] = {}

    def policy(self, subgraph: str) -> SubgraphPolicy:
        """The traffic policy of a subgraph (one per name: breakers survive reloads)."""
        p = self.policies.get(subgraph)
        if p is None:
            p = self.policies[subgraph] = SubgraphPolicy(
                subgraph,
                self.settings.traffic.for_subgraph(subgraph),
                self.headers,
                self.settings.subgraph_timeout_s,
            )
        return p

    def document_cache(self, schema: GraphQLSchema, size: int) -> GuardedDocumentCache:
        s = self.settings
        return GuardedDocumentCache(
            schema,
            size,
            s.limits,
            warn_only=s.limits_warn_only,
            introspection=s.introspection_enabled,
            suggestions=s.suggestions_enabled,
        )

    def authorizer(self, sg: Supergraph, api_schema: GraphQLSchema) -> Authorizer | None:
        """None when directives are not enforced or the supergraph has none."""
        if not self.settings.auth.authorization.directives:
            return None
        rules = read_access_rules(sg.schema)
        if rules.empty:
            return None
        jwt = self.settings.auth.jwt
        return Authorizer(api_schema, rules, jwt.scope_claim if jwt else "scope")

    async def aclose(self) -> None:
        if self.authenticator is not None:
            await self.authenticator.aclose()
