"""Apollo's external coprocessor protocol, as a built-in plugin: hooks written in any language.

At each configured stage the router POSTs a JSON document to `url` and waits
for the answer (Apollo Router's protocol, version 1)::

    {"version": 1, "stage": "SubgraphRequest", "control": "continue", "id": "<request id>",
     "headers": {"name": ["value"]}, "body": {...}, "context": {"entries": {...}},
     "serviceName": "products", "uri": "http://...", "method": "POST", ...}

The answer has the same shape: what it returns in `headers`, `body` and
`context` replaces what was sent; `"control": {"break": 403}` ends the request
there with the answer's `body` (and `headers`) — at `SubgraphRequest`, the
body becomes that subgraph's answer. Stages and our hooks:

| Apollo stage | hook | `body` |
| --- | --- | --- |
| RouterRequest / RouterResponse | `http_operations` / `http_response` | the JSON text |
| SupergraphRequest / SupergraphResponse | `graphql_request` / `graphql_response` | an object |
| ExecutionRequest / ExecutionResponse | `execution_request` / `execution_response` | an object |
| SubgraphRequest / SubgraphResponse | `subgraph_request` / `subgraph_response` | an object |

In router.yaml::

    plugins:
      - module: router.plugins.coprocessor
        config:
          url: http://127.0.0.1:8081/
          router: {request: {headers: true, body: true}}
          subgraph: {all: {request: {headers: true, service_name: true}}}

A stage is called only when configured; what is sent is what its fields turn
on. A coprocessor that fails (unreachable, late, not the protocol) fails the
request: 500 at a request stage, an error in the answer at a response stage.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, MutableMapping
from typing import Any, ClassVar

import httpx
import orjson
from pydantic import BaseModel, ConfigDict, Field

from router.context import RequestContext
from router.errors import ErrorCode, graphql_error
from router.plugins.contexts import (
    ExecutionRequestContext,
    ExecutionResponseContext,
    GraphQLOperation,
    GraphQLRequestContext,
    GraphQLResponseContext,
    HttpRequestContext,
    HttpResponseContext,
    SubgraphRequestContext,
    SubgraphResponseContext,
)
from router.plugins.interface import Plugin, Reject

__all__ = ["CoprocessorConfig", "CoprocessorPlugin", "StageFields"]

log = logging.getLogger("router.coprocessor")


class StageFields(BaseModel):
    """What the router sends at one stage (Apollo's keys; all off by default)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    headers: bool = False
    body: bool = False
    context: bool = False
    sdl: bool = False
    path: bool = False
    method: bool = False
    status_code: bool = False
    service_name: bool = False
    uri: bool = False
    query_plan: bool = False


class StageHooks(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    request: StageFields | None = None
    response: StageFields | None = None


class SubgraphStages(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    all: StageHooks = Field(default_factory=StageHooks)


class CoprocessorConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = Field(pattern=r"^https?://", description="The coprocessor's endpoint.")
    timeout_s: float = Field(default=1.0, gt=0, description="Per call to the coprocessor.")
    router: StageHooks = Field(default_factory=StageHooks)
    supergraph: StageHooks = Field(default_factory=StageHooks)
    execution: StageHooks = Field(default_factory=StageHooks)
    subgraph: SubgraphStages = Field(default_factory=SubgraphStages)


class _Failed(Exception):
    """The coprocessor did not answer by the protocol."""


def _multi(headers: Mapping[str, str]) -> dict[str, list[str]]:
    return {k: [v] for k, v in headers.items()}


def _single(headers: Any) -> dict[str, str]:
    if not isinstance(headers, dict):
        raise _Failed("`headers` must be an object of string lists")
    out: dict[str, str] = {}
    for k, v in headers.items():
        values = v if isinstance(v, list) else [v]
        if not all(isinstance(x, str) for x in values):
            raise _Failed(f"header {k!r} must be a list of strings")
        out[str(k).lower()] = ", ".join(values)
    return out


def _replace(target: MutableMapping[str, str], headers: dict[str, str]) -> None:
    target.clear()
    target.update(headers)


def _json_body(body: Any) -> Any:
    """A body the coprocessor returned: JSON text is decoded, objects pass."""
    if isinstance(body, str):
        try:
            return orjson.loads(body)
        except orjson.JSONDecodeError:
            return {"errors": [graphql_error(body)]}
    return body


def _error_body(message: str) -> dict[str, Any]:
    return {"errors": [graphql_error(message, None, ErrorCode.INTERNAL_SERVER_ERROR)]}


class CoprocessorPlugin(Plugin):
    Config: ClassVar[type[BaseModel]] = CoprocessorConfig

    def __init__(self, config: CoprocessorConfig) -> None:
        super().__init__(config)
        self.settings = config
        self.sdl = ""
        self._client = httpx.AsyncClient(timeout=config.timeout_s)
        self._stages: dict[str, tuple[str, StageFields | None]] = {
            "http_operations": ("RouterRequest", config.router.request),
            "http_response": ("RouterResponse", config.router.response),
            "graphql_request": ("SupergraphRequest", config.supergraph.request),
            "graphql_response": ("SupergraphResponse", config.supergraph.response),
            "execution_request": ("ExecutionRequest", config.execution.request),
            "execution_response": ("ExecutionResponse", config.execution.response),
            "subgraph_request": ("SubgraphRequest", config.subgraph.all.request),
            "subgraph_response": ("SubgraphResponse", config.subgraph.all.response),
        }

    def uses(self, hook: str) -> bool:
        stage = self._stages.get(hook)
        return stage is not None and stage[1] is not None

    def supergraph_loaded(self, sdl: str) -> None:
        self.sdl = sdl

    async def aclose(self) -> None:
        await self._client.aclose()

    # ------------------------------------------------------------------ protocol
    async def _call(
        self,
        hook: str,
        request: RequestContext | None,
        headers: Mapping[str, str] | None,
        body: Any,
        **extra: Any,
    ) -> dict[str, Any]:
        """One exchange; the answer, or `Reject` on `{"break": status}`; `_Failed` else."""
        stage, fields = self._stages[hook]
        assert fields is not None
        doc: dict[str, Any] = {
            "version": 1,
            "stage": stage,
            "control": "continue",
            "id": request.trace_id if request is not None else uuid.uuid4().hex,
        }
        if fields.headers and headers is not None:
            doc["headers"] = _multi(headers)
        if fields.body:
            doc["body"] = body
        if fields.context and request is not None:
            doc["context"] = {"entries": request.data}
        if fields.sdl:
            doc["sdl"] = self.sdl
        wanted = {
            "path": fields.path,
            "method": fields.method,
            "statusCode": fields.status_code,
            "serviceName": fields.service_name,
            "uri": fields.uri,
            "queryPlan": fields.query_plan,
            "subgraphRequestId": True,
        }
        doc.update((k, v) for k, v in extra.items() if wanted.get(k))
        try:
            resp = await self._client.post(
                self.settings.url,
                content=orjson.dumps(doc),
                headers={"content-type": "application/json"},
            )
            answer = orjson.loads(resp.content)
        except (httpx.HTTPError, orjson.JSONDecodeError) as exc:
            raise _Failed(f"{stage}: {exc!r}") from exc
        if resp.status_code != 200 or not isinstance(answer, dict):
            raise _Failed(f"{stage}: HTTP {resp.status_code}, not a coprocessor answer")
        if answer.get("version") != 1:
            raise _Failed(f"{stage}: answer has no `version: 1`")
        context = answer.get("context")
        if request is not None and isinstance(context, dict):
            entries = context.get("entries")
            if isinstance(entries, dict):
                request.data.clear()
                request.data.update(entries)
        control = answer.get("control", "continue")
        if isinstance(control, dict) and "break" in control:
            status = control["break"]
            if not isinstance(status, int) or not 100 <= status <= 599:
                raise _Failed(f"{stage}: `break` must be an HTTP status")
            raw = answer.get("body")
            out = _json_body(raw) if raw is not None else None
            if not isinstance(out, dict):
                out = {
                    "errors": [
                        graphql_error("request rejected by the coprocessor", None, "FORBIDDEN")
                    ]
                }
            hdrs = _single(answer["headers"]) if "headers" in answer else {}
            raise Reject(status, body=out, headers=hdrs)
        if control != "continue":
            raise _Failed(f'{stage}: `control` must be "continue" or {{"break": status}}')
        return answer

    async def _request_stage(
        self,
        hook: str,
        request: RequestContext | None,
        headers: Mapping[str, str] | None,
        body: Any,
        **extra: Any,
    ) -> dict[str, Any]:
        """A request-side exchange: a failure is a 500 for the client (Reject passes)."""
        try:
            return await self._call(hook, request, headers, body, **extra)
        except _Failed as exc:
            log.error("coprocessor failed: %s", exc)
            raise Reject(500, body=_error_body("coprocessor failed")) from None

    async def _response_stage(
        self,
        hook: str,
        request: RequestContext | None,
        headers: Mapping[str, str] | None,
        body: Any,
        **extra: Any,
    ) -> dict[str, Any] | None:
        """A response-side exchange: None when it failed (or broke: answers are not refused)."""
        try:
            return await self._call(hook, request, headers, body, **extra)
        except (_Failed, Reject) as exc:
            log.error("coprocessor failed at a response stage: %s", exc)
            return None

    # --------------------------------------------------------------------- hooks
    async def http_operations(self, ctx: HttpRequestContext) -> None:
        ops = [
            {
                "query": o.query,
                "operationName": o.operation_name,
                "variables": o.variables,
                "extensions": o.extensions,
            }
            for o in ctx.operations
        ]
        text = orjson.dumps(ops if ctx.batch else ops[0]).decode()
        answer = await self._request_stage(
            "http_operations", ctx.request, ctx.headers, text, path=ctx.path, method=ctx.method
        )
        try:
            if "headers" in answer:
                _replace(ctx.headers, _single(answer["headers"]))
            body = answer.get("body")
            if isinstance(body, str) and body != text:
                ctx.operations = _operations(orjson.loads(body), ctx.batch)
        except (_Failed, orjson.JSONDecodeError, ValueError) as exc:
            log.error("coprocessor answer unusable at RouterRequest: %s", exc)
            raise Reject(500, body=_error_body("coprocessor failed")) from None

    async def http_response(self, ctx: HttpResponseContext) -> None:
        text = orjson.dumps(ctx.body).decode()
        answer = await self._response_stage(
            "http_response", ctx.request, ctx.headers, text, statusCode=ctx.status
        )
        if answer is None:
            ctx.status, ctx.body = 500, _error_body("coprocessor failed")
            return
        try:
            if "headers" in answer:
                _replace(ctx.headers, _single(answer["headers"]))
        except _Failed as exc:
            log.error("coprocessor answer unusable at RouterResponse: %s", exc)
        if isinstance(answer.get("statusCode"), int):
            ctx.status = answer["statusCode"]
        body = answer.get("body")
        if isinstance(body, str) and body != text:
            ctx.body = _json_body(body)

    async def graphql_request(self, ctx: GraphQLRequestContext) -> None:
        body = {
            "query": ctx.query,
            "operationName": ctx.operation_name,
            "variables": ctx.variables,
        }
        headers = ctx.request.headers if ctx.request is not None else {}
        answer = await self._request_stage(
            "graphql_request", ctx.request, headers, body, method="POST"
        )
        new = answer.get("body")
        if isinstance(new, dict) and isinstance(new.get("variables"), dict):
            ctx.variables = new["variables"]
        if "headers" in answer and isinstance(headers, dict):
            _replace(headers, _single(answer["headers"]))

    async def graphql_response(self, ctx: GraphQLResponseContext) -> None:
        answer = await self._response_stage(
            "graphql_response", ctx.request, None, ctx.body, statusCode=ctx.status
        )
        if answer is None:
            ctx.status, ctx.body = 500, _error_body("coprocessor failed")
            return
        if isinstance(answer.get("body"), dict):
            ctx.body = answer["body"]
        if isinstance(answer.get("statusCode"), int):
            ctx.status = answer["statusCode"]

    async def execution_request(self, ctx: ExecutionRequestContext) -> None:
        body = {"query": ctx.query, "variables": ctx.variables}
        headers = ctx.request.headers if ctx.request is not None else {}
        await self._request_stage(
            "execution_request",
            ctx.request,
            headers,
            body,
            method="POST",
            queryPlan=ctx.plan.to_dict(),
        )

    async def execution_response(self, ctx: ExecutionResponseContext) -> None:
        answer = await self._response_stage("execution_response", ctx.request, None, ctx.body)
        if answer is None:
            ctx.body = _error_body("coprocessor failed")
        elif isinstance(answer.get("body"), dict):
            ctx.body = answer["body"]

    async def subgraph_request(self, ctx: SubgraphRequestContext) -> None:
        answer = await self._request_stage(
            "subgraph_request",
            ctx.request,
            ctx.headers,
            ctx.body,
            serviceName=ctx.service_name,
            uri=ctx.uri,
            method="POST",
            subgraphRequestId=uuid.uuid4().hex,
        )
        try:
            if "headers" in answer:
                _replace(ctx.headers, _single(answer["headers"]))
        except _Failed as exc:
            log.error("coprocessor answer unusable at SubgraphRequest: %s", exc)
            raise Reject(500, body=_error_body("coprocessor failed")) from None
        if isinstance(answer.get("body"), dict):
            ctx.body = answer["body"]

    async def subgraph_response(self, ctx: SubgraphResponseContext) -> None:
        answer = await self._response_stage(
            "subgraph_response",
            ctx.request,
            ctx.headers,
            ctx.body,
            serviceName=ctx.service_name,
            statusCode=ctx.status,
        )
        if answer is None:
            ctx.body = {"data": None, **_error_body("coprocessor failed")}
        elif isinstance(answer.get("body"), dict):
            ctx.body = answer["body"]


def _operations(body: Any, batch: bool) -> list[GraphQLOperation]:
    items = body if batch else [body]
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ValueError("the returned body is not a GraphQL request")
    return [
        GraphQLOperation(
            i.get("query"), i.get("operationName"), i.get("variables"), i.get("extensions")
        )
        for i in items
    ]
