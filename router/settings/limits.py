"""Operation and request limits (Apollo Router's `limits` section)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["LimitsSettings"]


class LimitsSettings(BaseModel):
    """Every limit is checked before planning; `None` switches one off."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    http_max_request_bytes: int = Field(
        default=2_000_000,
        gt=0,
        description="Largest request body; larger bodies get 413 and are not read to the end.",
    )
    http_max_headers: int | None = Field(
        default=100,
        gt=0,
        description="Headers in one request; more get 431 REQUEST_HEADER_FIELDS_TOO_LARGE and "
        "the connection is closed (checked while the head is read, before the app sees it).",
    )
    http_max_header_bytes: int | None = Field(
        default=65_536,
        gt=0,
        description="Bytes of one request's head (request line and headers); more get 431 "
        "REQUEST_HEADER_FIELDS_TOO_LARGE and the connection is closed.",
    )
    http_header_read_timeout_s: float | None = Field(
        default=10.0,
        gt=0,
        description="Time a client has to send a complete request head, from connecting or "
        "from the previous answer on the connection; a slower one (slowloris) is cut off.",
    )
    http_body_read_timeout_s: float | None = Field(
        default=30.0,
        gt=0,
        description="Time a client has to send a request body that arrives in several reads; "
        "a slower one gets 408 REQUEST_TIMEOUT and the connection is closed.",
    )
    http_max_variables_bytes: int | None = Field(
        default=1_000_000,
        gt=0,
        description="Bytes of one operation's `variables` (as JSON); larger gets 413 "
        "PAYLOAD_TOO_LARGE. Only bodies larger than this are measured.",
    )
    parser_max_tokens: int = Field(
        default=15_000,
        gt=0,
        description="Lexer tokens per document; parsing stops early above it "
        "(GRAPHQL_PARSE_FAILED).",
    )
    max_depth: int | None = Field(
        default=15,
        gt=0,
        description="Deepest chain of nested fields, fragments included (MAX_DEPTH_LIMIT). "
        "`{ a { b } }` has depth 2.",
    )
    max_height: int | None = Field(
        default=400,
        gt=0,
        description="Distinct fields of the operation, merged only within one selection set; "
        "each alias counts (MAX_HEIGHT_LIMIT).",
    )
    max_aliases: int | None = Field(
        default=30,
        ge=0,
        description="Aliased fields, counted once per use of a fragment (MAX_ALIASES_LIMIT).",
    )
    max_root_fields: int | None = Field(
        default=20,
        gt=0,
        description="Root fields, each alias counting (MAX_ROOT_FIELDS_LIMIT).",
    )
    max_repeated_fields: int | None = Field(
        default=50,
        gt=0,
        description="Times one response key may be selected in one selection set "
        "(MAX_REPEATED_FIELDS_LIMIT): bounds the quadratic field-merging validation.",
    )
    max_batch_size: int = Field(
        default=10,
        ge=0,
        description="Operations in one batched request (a JSON array body); 0 disables "
        "batching (BATCHING_NOT_ENABLED). Every operation of a batch is checked on its own.",
    )
    warn_only: bool | None = Field(
        default=None,
        description="Log limit violations and execute anyway (to calibrate limits). "
        "Default: on in dev mode, off in production.",
    )
    introspection_max_depth: bool = Field(
        default=True,
        description="Reject introspection that nests `fields`/`interfaces`/`possibleTypes`/"
        "`inputFields` too deeply (graphql-js MaxIntrospectionDepthRule), in dev too.",
    )
