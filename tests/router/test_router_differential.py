"""Differential test: the router over four shop subgraphs answers like one monolith.

Operations come from hypothesis-graphql (valid operations over the API schema),
then get some of our own decorations drawn by hypothesis: aliases, `__typename`,
inline fragments, `@include(if: false)`, and `@defer` fragments. The router's
answer (over split, in-process strawberry subgraphs) must equal the monolithic
strawberry schema's answer over the same data: the same `data` (key order
included, except that `@defer` delivers its fields later) and errors at the
same paths. `@defer` answers are merged the way a client merges them and
compared with the monolith's answer to the operation without `@defer`.

Bounded to a fixed number of examples (CHORUS_DIFF_EXAMPLES, default 120) and
derandomised so CI is reproducible; raise the count locally to search harder.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from typing import Any

import httpx
import orjson
from graphql import (
    ArgumentNode,
    BooleanValueNode,
    DirectiveNode,
    DocumentNode,
    FieldNode,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    StringValueNode,
    print_ast,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import from_schema
from starlette.applications import Starlette
from starlette.routing import Route
from strawberry.asgi import GraphQL

from router.compose import SubgraphSource, compose
from router.server.app import create_router_app
from router.settings import RouterSettings
from tests.helpers import shop_subgraphs as shop
from tests.helpers.multipart import merge_incremental, parse_multipart
from tests.helpers.stream_subgraphs import sdl_of

EXAMPLES = int(os.environ.get("CHORUS_DIFF_EXAMPLES", "120"))
MULTIPART = {"accept": "multipart/mixed;deferSpec=20220824, application/json"}

SUPERGRAPH = compose(
    [SubgraphSource(n, f"http://subgraphs/{n}", sdl_of(s)) for n, s in shop.SUBGRAPHS.items()]
).supergraph_sdl
assert SUPERGRAPH is not None


def _ids() -> st.SearchStrategy[Any]:
    return st.sampled_from(shop.IDS).map(lambda v: StringValueNode(value=v))


OPERATIONS = from_schema(
    shop.monolith._schema,
    custom_scalars={"ID": _ids()},
    print_ast=lambda doc: doc,
    allow_x00=False,
)


# ---------------------------------------------------------------- decoration
class Decorator:
    """Rewrites a generated document with choices drawn from hypothesis."""

    def __init__(self, draw: Callable[[st.SearchStrategy[Any]], Any], defer: bool) -> None:
        self.draw = draw
        self.defer = defer
        self.counter = 0

    def document(self, doc: DocumentNode) -> DocumentNode:
        defs = []
        for d in doc.definitions:
            if isinstance(d, OperationDefinitionNode) and d.selection_set is not None:
                d = OperationDefinitionNode(
                    operation=d.operation,
                    name=d.name,
                    variable_definitions=d.variable_definitions,
                    directives=d.directives,
                    selection_set=self.selection_set(d.selection_set),
                )
            defs.append(d)
        return DocumentNode(definitions=tuple(defs))

    def selection_set(self, ss: SelectionSetNode) -> SelectionSetNode:
        out: list[Any] = []
        original = ss.selections
        for sel in ss.selections:
            if isinstance(sel, FieldNode):
                sel = self.field(sel)
            elif isinstance(sel, InlineFragmentNode):
                sel = InlineFragmentNode(
                    type_condition=sel.type_condition,
                    directives=sel.directives,
                    selection_set=self.selection_set(sel.selection_set),
                )
            out.append(sel)
        if self.draw(st.booleans()):
            out.insert(self.draw(st.integers(0, len(out))), _field("__typename"))
        if len(out) > 1 and self.draw(st.integers(0, 3)) == 0:
            out.append(self.excluded(original[0]))
        if out and self.draw(st.integers(0, 2)) == 0:
            cut = self.draw(st.integers(0, len(out) - 1))
            directives: tuple[DirectiveNode, ...] = ()
            if self.defer and self.draw(st.booleans()):
                self.counter += 1
                label = ArgumentNode(
                    name=NameNode(value="label"), value=StringValueNode(value=f"d{self.counter}")
                )
                directives = (DirectiveNode(name=NameNode(value="defer"), arguments=(label,)),)
            frag = InlineFragmentNode(
                type_condition=None,
                directives=directives,
                selection_set=SelectionSetNode(selections=tuple(out[cut:])),
            )
            out = [*out[:cut], frag]
        return SelectionSetNode(selections=tuple(out))

    def field(self, f: FieldNode) -> FieldNode:
        alias = f.alias
        if alias is None and f.name.value != "__typename" and self.draw(st.integers(0, 3)) == 0:
            self.counter += 1
            alias = NameNode(value=f"a{self.counter}_{f.name.value}")
        return FieldNode(
            alias=alias,
            name=f.name,
            arguments=f.arguments,
            directives=f.directives,
            selection_set=self.selection_set(f.selection_set) if f.selection_set else None,
        )

    def excluded(self, sel: Any) -> Any:
        """A copy of `sel` that `@include(if: false)` removes again."""
        include = DirectiveNode(
            name=NameNode(value="include"),
            arguments=(
                ArgumentNode(name=NameNode(value="if"), value=BooleanValueNode(value=False)),
            ),
        )
        if isinstance(sel, FieldNode):
            self.counter += 1
            return FieldNode(
                alias=NameNode(value=f"gone{self.counter}"),
                name=sel.name,
                arguments=sel.arguments,
                directives=(include,),
                selection_set=sel.selection_set,
            )
        return InlineFragmentNode(
            type_condition=sel.type_condition,
            directives=(include,),
            selection_set=sel.selection_set,
        )


def _field(name: str) -> FieldNode:
    return FieldNode(name=NameNode(value=name), arguments=(), directives=())


def _strip_defer(query: str) -> str:
    import re

    return re.sub(r"@defer\(label: \"d\d+\"\)", "", query)


# -------------------------------------------------------------------- oracle
def _paths(errors: list[dict[str, Any]] | None) -> list[str]:
    return sorted(orjson.dumps(e.get("path")).decode() for e in errors or ())


class Harness:
    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        routes = [Route(f"/{n}", GraphQL(s), methods=["POST"]) for n, s in shop.SUBGRAPHS.items()]
        self.sub_http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=Starlette(routes=routes)),
            base_url="http://subgraphs",
        )
        # dev mode: limits only warn (generated operations are large), errors kept whole
        app = create_router_app(
            SUPERGRAPH, settings=RouterSettings(dev=True), http_client=self.sub_http
        )
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app), base_url="http://router"
        )
        self.checked = 0
        self.deferred = 0

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.sub_http.aclose())
        self.loop.close()

    def check(self, query: str) -> None:
        self.loop.run_until_complete(self._check(query))

    async def _check(self, query: str) -> None:
        plain = _strip_defer(query)
        expected = await shop.monolith.execute(plain)
        assert expected.errors is None or expected.data is not None or True
        want_errors = [{"path": list(e.path) if e.path else None} for e in expected.errors or ()]
        if plain != query:
            resp = await self.client.post("/graphql", json={"query": query}, headers=MULTIPART)
            assert resp.status_code == 200, resp.text
            if resp.headers["content-type"].startswith("multipart/mixed"):
                parts = parse_multipart(resp)
                got_errors = [e for p in parts for e in p.get("errors", [])] + [
                    e for p in parts for i in p.get("incremental", []) for e in i.get("errors", [])
                ]
                assert merge_incremental(parts) == expected.data, query
                assert _paths(got_errors) == _paths(want_errors), query
                self.deferred += 1
                self.checked += 1
                return
            body = resp.json()
        else:
            resp = await self.client.post("/graphql", json={"query": query})
            assert resp.status_code == 200, resp.text
            body = resp.json()
        assert orjson.dumps(body.get("data")) == orjson.dumps(expected.data), query
        assert _paths(body.get("errors")) == _paths(want_errors), (query, body)
        self.checked += 1


def test_router_answers_like_the_monolith() -> None:
    harness = Harness()

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(doc=OPERATIONS, data=st.data(), defer=st.booleans())
    def run(doc: DocumentNode, data: st.DataObject, defer: bool) -> None:
        decorated = Decorator(data.draw, defer).document(doc)
        harness.check(print_ast(decorated))

    try:
        run()
    finally:
        harness.close()
    assert harness.checked >= EXAMPLES // 2
    assert harness.deferred > 0, "no example exercised @defer"
