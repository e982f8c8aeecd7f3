"""Three tiny federated subgraphs (users, reviews, products) as one raw ASGI app.

The benchmark measures gateways, so the subgraphs must cost next to nothing:
no GraphQL framework, no validation. Each query text is parsed once (cached)
and its selection is walked over data computed from the arguments, so any
`id` a load generator invents has an answer and no two requests share one.
A subgraph answers `_entities` for its entity types and the root fields below;
that is all the three gateways send it for the benchmark queries.

    python -m bench.router.subgraphs --port 5700   # /users /reviews /products
"""

from __future__ import annotations

import argparse
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    VariableNode,
    parse,
    value_from_ast_untyped,
)

__all__ = ["REVIEWS_PER_USER", "SDL", "Subgraph", "create_app", "product", "reviews_of", "user"]

_LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ["@key"])\n'

#: subgraph name -> SDL (Federation 2)
SDL: dict[str, str] = {
    "users": _LINK
    + """
type Query { user(id: ID!): User }
type User @key(fields: "id") { id: ID!  name: String!  username: String! }
""",
    "reviews": _LINK
    + """
type User @key(fields: "id") { id: ID!  reviews: [Review!]! }
type Review { id: ID!  body: String!  product: Product! }
type Product @key(fields: "upc", resolvable: false) { upc: String! }
""",
    "products": _LINK
    + """
type Query { product(upc: String!): Product }
type Product @key(fields: "upc") { upc: String!  name: String!  price: Int! }
""",
}

REVIEWS_PER_USER = 3


# --------------------------------------------------------------------- data
def user(uid: str) -> dict[str, Any]:
    return {"id": uid, "name": f"User {uid}", "username": f"@user{uid}"}


def reviews_of(uid: str) -> list[dict[str, Any]]:
    return [
        {"id": f"{uid}-{k}", "body": f"Review {k} by {uid}", "product": {"upc": f"p{uid}-{k}"}}
        for k in range(REVIEWS_PER_USER)
    ]


def product(upc: str) -> dict[str, Any]:
    return {"upc": upc, "name": f"Product {upc}", "price": 10 + len(upc) * 7 % 90}


# ------------------------------------------------------------------ schema
Resolver = Callable[[dict[str, Any], dict[str, Any]], Any]


class Subgraph:
    """What one subgraph resolves: root fields, entity lookups and field types."""

    def __init__(
        self,
        name: str,
        roots: Mapping[str, tuple[str, Resolver]],
        entities: Mapping[str, Callable[[dict[str, Any]], dict[str, Any] | None]],
        fields: Mapping[tuple[str, str], tuple[str, Resolver | None]],
    ) -> None:
        self.name = name
        #: Query field -> (result type, resolver(parent, args))
        self.roots = roots
        #: entity type -> representation -> object
        self.entities = entities
        #: (type, field) -> (named result type, resolver or None for a plain key read)
        self.fields = fields
        self._documents: dict[str, DocumentNode] = {}

    def document(self, query: str) -> DocumentNode:
        doc = self._documents.get(query)
        if doc is None:
            if len(self._documents) > 256:
                self._documents.clear()
            doc = self._documents[query] = parse(query, no_location=True)
        return doc

    def execute(self, query: str, variables: dict[str, Any]) -> dict[str, Any]:
        doc = self.document(query)
        op = next(d for d in doc.definitions if isinstance(d, OperationDefinitionNode))
        frags = {d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)}
        walk = _Walk(self, variables, frags)
        return {"data": walk.root(op.selection_set)}


class _Walk:
    __slots__ = ("frags", "sg", "variables")

    def __init__(
        self, sg: Subgraph, variables: dict[str, Any], frags: dict[str, FragmentDefinitionNode]
    ) -> None:
        self.sg = sg
        self.variables = variables
        self.frags = frags

    def args(self, node: FieldNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for a in node.arguments or ():
            v = a.value
            out[a.name.value] = (
                self.variables.get(v.name.value)
                if isinstance(v, VariableNode)
                else value_from_ast_untyped(v, self.variables)
            )
        return out

    def fields(self, sel: SelectionSetNode, type_name: str) -> list[FieldNode]:
        out: list[FieldNode] = []
        for s in sel.selections:
            if isinstance(s, FieldNode):
                out.append(s)
            elif isinstance(s, InlineFragmentNode):
                if s.type_condition is None or s.type_condition.name.value == type_name:
                    out.extend(self.fields(s.selection_set, type_name))
            elif isinstance(s, FragmentSpreadNode):
                f = self.frags[s.name.value]
                if f.type_condition.name.value == type_name:
                    out.extend(self.fields(f.selection_set, type_name))
        return out

    def root(self, sel: SelectionSetNode) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for f in self.fields(sel, "Query"):
            name = f.name.value
            key = f.alias.value if f.alias else name
            if name == "__typename":
                out[key] = "Query"
            elif name == "_entities":
                out[key] = [self.entity(rep, f) for rep in self.args(f)["representations"]]
            else:
                type_name, resolve = self.sg.roots[name]
                out[key] = self.value(resolve({}, self.args(f)), type_name, f)
        return out

    def entity(self, rep: dict[str, Any], f: FieldNode) -> dict[str, Any] | None:
        type_name = rep["__typename"]
        obj = self.sg.entities[type_name](rep)
        return None if obj is None else self.object(obj, type_name, f.selection_set)

    def value(self, v: Any, type_name: str, f: FieldNode) -> Any:
        if v is None or f.selection_set is None:
            return v
        if isinstance(v, list):
            return [self.object(x, type_name, f.selection_set) for x in v]
        return self.object(v, type_name, f.selection_set)

    def object(
        self, obj: dict[str, Any], type_name: str, sel: SelectionSetNode | None
    ) -> dict[str, Any]:
        assert sel is not None
        out: dict[str, Any] = {}
        for f in self.fields(sel, type_name):
            name = f.name.value
            key = f.alias.value if f.alias else name
            if name == "__typename":
                out[key] = type_name
                continue
            child_type, resolve = self.sg.fields[(type_name, name)]
            raw = obj.get(name) if resolve is None else resolve(obj, self.args(f))
            out[key] = self.value(raw, child_type, f)
        return out


def _scalar(t: str) -> tuple[str, None]:
    return (t, None)


SUBGRAPHS: dict[str, Subgraph] = {
    "users": Subgraph(
        "users",
        roots={"user": ("User", lambda _p, a: user(str(a["id"])))},
        entities={"User": lambda rep: user(str(rep["id"]))},
        fields={
            ("User", "id"): _scalar("ID"),
            ("User", "name"): _scalar("String"),
            ("User", "username"): _scalar("String"),
        },
    ),
    "reviews": Subgraph(
        "reviews",
        roots={},
        entities={"User": lambda rep: {"id": rep["id"]}},
        fields={
            ("User", "id"): _scalar("ID"),
            ("User", "reviews"): ("Review", lambda p, _a: reviews_of(str(p["id"]))),
            ("Review", "id"): _scalar("ID"),
            ("Review", "body"): _scalar("String"),
            ("Review", "product"): ("Product", None),
            ("Product", "upc"): _scalar("String"),
        },
    ),
    "products": Subgraph(
        "products",
        roots={"product": ("Product", lambda _p, a: product(str(a["upc"])))},
        entities={"Product": lambda rep: product(str(rep["upc"]))},
        fields={
            ("Product", "upc"): _scalar("String"),
            ("Product", "name"): _scalar("String"),
            ("Product", "price"): _scalar("Int"),
        },
    ),
}

# ---------------------------------------------------------------------- ASGI
Scope = Mapping[str, Any]
Receive = Callable[[], Awaitable[dict[str, Any]]]
Send = Callable[[dict[str, Any]], Awaitable[None]]
_JSON = [(b"content-type", b"application/json")]


def create_app() -> Callable[[Scope, Receive, Send], Awaitable[None]]:
    """POST /<subgraph> with a GraphQL JSON body; GET /health."""
    routes = {f"/{name}": sg for name, sg in SUBGRAPHS.items()}

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            if scope["type"] == "lifespan":
                await receive()  # lifespan.startup
                await send({"type": "lifespan.startup.complete"})
                await receive()  # lifespan.shutdown
                await send({"type": "lifespan.shutdown.complete"})
            return
        body = b""
        more = True
        while more:
            msg = await receive()
            body += msg.get("body", b"")
            more = msg.get("more_body", False)
        sg = routes.get(scope["path"])
        if scope["method"] == "GET" and scope["path"] == "/health":
            status, payload = 200, b'{"status":"ok"}'
        elif sg is None or scope["method"] != "POST":
            status, payload = 404, b'{"errors":[{"message":"not found"}]}'
        else:
            try:
                req = orjson.loads(body)
                result = sg.execute(req["query"], req.get("variables") or {})
            except Exception as exc:  # a bench bug must show up as an error, not a hang
                result = {"data": None, "errors": [{"message": f"{type(exc).__name__}: {exc}"}]}
            status, payload = 200, orjson.dumps(result)
        await send({"type": "http.response.start", "status": status, "headers": _JSON})
        await send({"type": "http.response.body", "body": payload})

    return app


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from router.server.coalescing_loop import LOOP

    parser = argparse.ArgumentParser(prog="python -m bench.router.subgraphs")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--host", default="127.0.0.1")
    args = parser.parse_args(argv)
    uvicorn.run(
        create_app(),
        host=args.host,
        port=args.port,
        loop=LOOP,  # one write per response, as the router serves
        http="httptools",
        log_level="warning",
        access_log=False,
    )


if __name__ == "__main__":
    main()
