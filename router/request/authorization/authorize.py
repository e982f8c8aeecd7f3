"""Enforce `@authenticated` / `@requiresScopes` by rewriting the operation before planning.

Fields (and fragments on types) the request may not see are removed, so no
subgraph is ever asked for them (a mutation field removed this way never
runs). A selection set left empty keeps `__typename`, so its parent still
resolves. The response is then shaped against the *original* operation: the
removed fields come back `null` (with the usual null propagation for
non-null ones) and each carries an `UNAUTHORIZED_FIELD_OR_TYPE` error whose
path uses `@` for list positions, as Apollo Router does.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable, Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    NameNode,
    OperationDefinitionNode,
    OperationType,
    SelectionSetNode,
    get_named_type,
)

from router.errors import ErrorCode, graphql_error
from router.planner.operation import OperationContext
from router.request.authorization.directives import AccessRules, ScopeRule, read_access_rules
from router.settings import RouterSettings

__all__ = ["AuthorizationResult", "Authorizer", "build_authorizer", "scopes_of"]

PathPattern = tuple[str, ...]
_TYPENAME = SelectionSetNode(selections=(FieldNode(name=NameNode(value="__typename")),))


@dataclasses.dataclass(frozen=True, slots=True)
class AuthorizationResult:
    """The operation to plan, and what was taken out of the client's one."""

    document: DocumentNode
    operation: OperationDefinitionNode
    original_document: DocumentNode
    original_operation: OperationDefinitionNode
    removed: tuple[PathPattern, ...]

    @property
    def cache_key(self) -> object:
        return ("authz", self.removed)

    def shaping_context(
        self, conditions: dict[str, bool], applies: Callable[[str | None, str], bool]
    ) -> OperationContext:
        """The client's original operation as the shaper walks it (removed fields null)."""
        return OperationContext.build(
            self.original_document, self.original_operation, conditions, applies
        )

    def finish(self, errors: list[dict[str, Any]]) -> None:
        """Add the authorization errors; drop null-violation errors they explain."""
        errors[:] = [
            e
            for e in errors
            if not (
                (e.get("extensions") or {}).get("code") == ErrorCode.NON_NULL_VIOLATION
                and any(_matches(e.get("path"), p) for p in self.removed)
            )
        ]
        for p in self.removed:
            errors.append(
                graphql_error(
                    "Unauthorized field or type", list(p), ErrorCode.UNAUTHORIZED_FIELD_OR_TYPE
                )
            )


def _matches(path: Any, pattern: PathPattern) -> bool:
    if not isinstance(path, list) or len(path) != len(pattern):
        return False
    return all(
        (b == "@" and isinstance(a, int)) or a == b for a, b in zip(path, pattern, strict=True)
    )


def scopes_of(claims: Mapping[str, Any] | None, claim: str = "scope") -> frozenset[str]:
    if not claims:
        return frozenset()
    v = claims.get(claim)
    if isinstance(v, str):
        return frozenset(v.split())
    if isinstance(v, list):
        return frozenset(s for s in v if isinstance(s, str))
    return frozenset()


class Authorizer:
    """Filters operations for one supergraph's access rules (results cached per claims)."""

    def __init__(
        self, schema: GraphQLSchema, rules: AccessRules, scope_claim: str, cache_size: int = 1024
    ) -> None:
        self.schema = schema
        self.rules = rules
        self.scope_claim = scope_claim
        self._relevant_scopes = rules.scope_names()
        self._cache: OrderedDict[tuple[object, ...], AuthorizationResult | None] = OrderedDict()
        self._cache_size = cache_size

    def filter(
        self,
        doc: DocumentNode,
        op: OperationDefinitionNode,
        claims: Mapping[str, Any] | None,
        query_key: object,
    ) -> AuthorizationResult | None:
        """The filtered operation, or None when the request may see everything."""
        scopes = scopes_of(claims, self.scope_claim) & self._relevant_scopes
        key = (query_key, claims is not None, scopes)
        if key in self._cache:
            self._cache.move_to_end(key)
            return self._cache[key]
        result = _Filter(self, doc, claims is not None, scopes).run(op)
        self._cache[key] = result
        if len(self._cache) > self._cache_size:
            self._cache.popitem(last=False)
        return result


class _Filter:
    def __init__(
        self, authz: Authorizer, doc: DocumentNode, authenticated: bool, scopes: frozenset[str]
    ) -> None:
        self.schema = authz.schema
        self.rules = authz.rules
        self.authenticated = authenticated
        self.scopes = scopes
        self.doc = doc
        self.fragments = {
            d.name.value: d for d in doc.definitions if isinstance(d, FragmentDefinitionNode)
        }
        self.removed: dict[PathPattern, None] = {}
        self._walking: set[str] = set()

    def run(self, op: OperationDefinitionNode) -> AuthorizationResult | None:
        root = {
            OperationType.QUERY: self.schema.query_type,
            OperationType.MUTATION: self.schema.mutation_type,
            OperationType.SUBSCRIPTION: self.schema.subscription_type,
        }[op.operation]
        assert root is not None
        new_ss = self.selection_set(op.selection_set, root, (), record=True)
        if not self.removed:
            return None
        new_op = OperationDefinitionNode(
            operation=op.operation,
            name=op.name,
            variable_definitions=op.variable_definitions,
            directives=op.directives,
            selection_set=new_ss,
        )
        defs: list[Any] = []
        for d in self.doc.definitions:
            if d is op:
                defs.append(new_op)
            elif isinstance(d, FragmentDefinitionNode):
                t = self.schema.get_type(d.type_condition.name.value)
                assert t is not None
                ss = self.selection_set(d.selection_set, t, (), record=False)
                defs.append(d if ss is d.selection_set else _replace(d, selection_set=ss))
            elif isinstance(d, OperationDefinitionNode):
                continue  # other operations are not planned
            else:
                defs.append(d)
        return AuthorizationResult(
            DocumentNode(definitions=tuple(defs)), new_op, self.doc, op, tuple(self.removed)
        )

    # ------------------------------------------------------------- access
    def _allowed(self, needs_auth: bool, scope_rules: list[ScopeRule]) -> bool:
        if needs_auth and not self.authenticated:
            return False
        for rule in scope_rules:
            if not any(alt <= self.scopes for alt in rule):
                return False
        return True

    def type_allowed(self, t: GraphQLNamedType) -> bool:
        r = self.rules
        return self._allowed(t.name in r.authenticated_types, r.scoped_types.get(t.name, []))

    def field_allowed(self, parent: GraphQLNamedType, name: str, ftype: GraphQLOutputType) -> bool:
        r = self.rules
        owners = [parent.name]
        if isinstance(parent, GraphQLInterfaceType):
            owners += [o.name for o in self.schema.get_possible_types(parent)]
        needs_auth = any((o, name) in r.authenticated_fields for o in owners)
        scope_rules = [s for o in owners for s in r.scoped_fields.get((o, name), [])]
        return self._allowed(needs_auth, scope_rules) and self.type_allowed(get_named_type(ftype))

    # ------------------------------------------------------------- rewrite
    def _remove(self, path: PathPattern, record: bool) -> None:
        if record:
            self.removed[path] = None

    def selection_set(
        self, ss: SelectionSetNode, parent: GraphQLNamedType, path: PathPattern, *, record: bool
    ) -> SelectionSetNode:
        out: list[Any] = []
        changed = False
        for sel in ss.selections:
            if isinstance(sel, FieldNode):
                new = self.field(sel, parent, path, record)
                if new is not sel:
                    changed = True
                if new is not None:
                    out.append(new)
            elif isinstance(sel, InlineFragmentNode):
                t = (
                    self.schema.get_type(sel.type_condition.name.value)
                    if sel.type_condition
                    else parent
                )
                if t is None:
                    out.append(sel)
                elif not self.type_allowed(t):
                    self._remove(path, record)
                    changed = True
                else:
                    sub = self.selection_set(sel.selection_set, t, path, record=record)
                    if sub is not sel.selection_set:
                        changed = True
                        sel = _replace(sel, selection_set=sub)
                    out.append(sel)
            elif isinstance(sel, FragmentSpreadNode):
                frag = self.fragments.get(sel.name.value)
                t = self.schema.get_type(frag.type_condition.name.value) if frag else None
                if frag is None or t is None:
                    out.append(sel)
                elif not self.type_allowed(t):
                    self._remove(path, record)
                    changed = True
                else:
                    if record and frag.name.value not in self._walking:
                        # the fragment is filtered once on its own; walk it here for the paths
                        self._walking.add(frag.name.value)
                        self.selection_set(frag.selection_set, t, path, record=True)
                        self._walking.discard(frag.name.value)
                    out.append(sel)
        if not changed:
            return ss
        return SelectionSetNode(selections=tuple(out)) if out else _TYPENAME

    def field(
        self, node: FieldNode, parent: GraphQLNamedType, path: PathPattern, record: bool
    ) -> FieldNode | None:
        name = node.name.value
        if name.startswith("__") or not isinstance(
            parent, GraphQLObjectType | GraphQLInterfaceType
        ):
            return node
        fdef = parent.fields.get(name)
        if fdef is None:
            return node
        key = node.alias.value if node.alias else name
        if not self.field_allowed(parent, name, fdef.type):
            self._remove((*path, key), record)
            return None
        if node.selection_set is None:
            return node
        sub_path = (*path, key, *("@" for _ in range(_list_depth(fdef.type))))
        sub = self.selection_set(
            node.selection_set, get_named_type(fdef.type), sub_path, record=record
        )
        return node if sub is node.selection_set else _replace(node, selection_set=sub)


def _list_depth(t: GraphQLOutputType) -> int:
    n = 0
    while True:
        if isinstance(t, GraphQLNonNull):
            t = t.of_type
        elif isinstance(t, GraphQLList):
            n += 1
            t = t.of_type
        else:
            return n


def _replace(node: Any, **changes: Any) -> Any:
    kwargs = {k: getattr(node, k) for k in node.keys if k != "loc"}
    kwargs.update(changes)
    return type(node)(**kwargs)


def build_authorizer(
    settings: RouterSettings, supergraph_schema: GraphQLSchema, api_schema: GraphQLSchema
) -> Authorizer | None:
    """None when directives are not enforced or the supergraph has none."""
    if not settings.auth.authorization.directives:
        return None
    rules = read_access_rules(supergraph_schema)
    if rules.empty:
        return None
    jwt = settings.auth.jwt
    return Authorizer(api_schema, rules, jwt.scope_claim if jwt else "scope")
