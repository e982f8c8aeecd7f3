"""Header propagation to subgraphs (Apollo's propagate / insert / remove rules).

Nothing a client sends reaches a subgraph unless a rule says so, except the
W3C trace context. Rules run in order (`all` first, then the subgraph's own):
propagate copies (and may rename) client headers, insert adds a fixed value,
remove drops what earlier rules added. Hop-by-hop headers and the ones the
HTTP client owns can never be configured (settings validation refuses them).

`HeaderPropagationPlugin` puts `HeadersLayer` outermost on every subgraph's
stack (`subgraph_transport`, once per client): the `subgraph_request` hooks
under it see, and may change, what the rules propagated.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Mapping

from router.context import current_request
from router.plugins import Plugin
from router.plugins.transport import Layer, RawResponse, SubgraphRequest, Transport
from router.settings.traffic import FORBIDDEN_HEADERS, HeaderRule, HeaderSettings

__all__ = ["HeaderPropagation", "HeaderPropagationPlugin", "HeadersLayer"]

_TRACE_CONTEXT = ("traceparent", "tracestate")


class HeaderPropagation:
    def __init__(self, settings: HeaderSettings) -> None:
        self.settings = settings
        self._rules: dict[str, tuple[HeaderRule, ...]] = {}
        self._patterns: dict[str, re.Pattern[str]] = {}

    def _compiled(self, pattern: str) -> re.Pattern[str]:
        p = self._patterns.get(pattern)
        if p is None:
            p = self._patterns[pattern] = re.compile(pattern, re.IGNORECASE)
        return p

    def rules(self, subgraph: str) -> tuple[HeaderRule, ...]:
        r = self._rules.get(subgraph)
        if r is None:
            r = self._rules[subgraph] = self.settings.all + self.settings.subgraphs.get(
                subgraph, ()
            )
        return r

    def outgoing(self, subgraph: str, client: Mapping[str, str]) -> dict[str, str]:
        """Headers for a call to `subgraph` given the client's (lower-case) headers."""
        out: dict[str, str] = {}
        if self.settings.trace_context:
            for name in _TRACE_CONTEXT:
                v = client.get(name)
                if v is not None and _clean(v):
                    out[name] = v
        for rule in self.rules(subgraph):
            if rule.propagate is not None:
                p = rule.propagate
                if p.named is not None:
                    v = client.get(p.named, p.default)
                    if v is not None and _clean(v):
                        out[p.rename or p.named] = v
                else:
                    assert p.matching is not None
                    rx = self._compiled(p.matching)
                    for name, v in client.items():
                        if name not in FORBIDDEN_HEADERS and rx.fullmatch(name) and _clean(v):
                            out[name] = v
            elif rule.insert is not None:
                out[rule.insert.name] = rule.insert.value
            elif rule.remove is not None:
                rm = rule.remove
                if rm.named is not None:
                    out.pop(rm.named.lower(), None)
                else:
                    assert rm.matching is not None
                    rx = self._compiled(rm.matching)
                    for name in [n for n in out if rx.fullmatch(n)]:
                        del out[name]
        return out


def _clean(value: str) -> bool:
    return "\r" not in value and "\n" not in value and "\x00" not in value


class HeadersLayer(Layer):
    """Sets the request's headers to what the rules propagate from the client's request."""

    __slots__ = ("propagation", "subgraph")

    def __init__(self, inner: Transport, propagation: HeaderPropagation, subgraph: str) -> None:
        super().__init__(inner)
        self.propagation = propagation
        self.subgraph = subgraph

    def send(self, request: SubgraphRequest) -> Awaitable[RawResponse]:
        client = current_request.get()
        if client is not None:
            request.headers = self.propagation.outgoing(self.subgraph, client.headers)
        return self.inner.send(request)


class HeaderPropagationPlugin(Plugin):
    """`traffic.headers` of router.yaml: the headers each subgraph call carries."""

    def __init__(self, settings: HeaderSettings) -> None:
        super().__init__(settings)
        self.propagation = HeaderPropagation(settings)

    def subgraph_transport(self, subgraph: str, transport: Transport) -> Transport:
        return HeadersLayer(transport, self.propagation, subgraph)
