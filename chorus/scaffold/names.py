"""Subgraph names and the Python and GraphQL names derived from them."""

from __future__ import annotations

import keyword
import re

from chorus.scaffold.errors import ScaffoldError

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
MAX_NAME_LENGTH = 30
RESERVED_NAMES = frozenset({"kit", "subgraphs", "router", "chorus", "models", "tests", "test"})


def check_name(name: str) -> None:
    """Refuse names that are not a valid, unreserved Python package name in lower_snake_case."""
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(
            "names are lower_snake_case: a lowercase letter, then letters, digits "
            "and single underscores (e.g. `inventory`, `user_profiles`)"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(f"names are at most {MAX_NAME_LENGTH} characters")
    if keyword.iskeyword(name) or name in RESERVED_NAMES:
        raise ScaffoldError(f"{name!r} is reserved")


def check_package(package: str) -> None:
    """A dotted package name whose parts are lower_snake_case (`apps.fraud.ingestion`)."""
    parts = package.split(".")
    if any(not NAME_PATTERN.match(part) or keyword.iskeyword(part) for part in parts):
        raise ScaffoldError(
            f"--package {package!r}: a dotted Python package name in lower_snake_case "
            "(e.g. `apps.shop.inventory`)"
        )
    if parts[0] in RESERVED_NAMES - {"subgraphs"}:
        raise ScaffoldError(f"--package {package!r}: {parts[0]!r} is the framework's")


def pascal(snake: str) -> str:
    return "".join(part.capitalize() for part in snake.split("_"))


def camel(snake: str) -> str:
    """strawberry's GraphQL name of a Python attribute (`review_count` -> `reviewCount`)."""
    head, *rest = snake.split("_")
    return head + "".join(part.capitalize() for part in rest)


def snake(graphql_name: str) -> str:
    """A Python attribute name for a GraphQL field (`startTime` -> `start_time`)."""
    name = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", graphql_name).lower()
    return f"{name}_" if keyword.iskeyword(name) else name


def placeholders(name: str) -> dict[str, str]:
    """Names derived from the subgraph's: the entity type and its root fields."""
    type_name = pascal(name)
    field = camel(name)
    return {
        "name": name,
        "pascal": type_name,
        "camel": field,
        "type_name": f"{type_name}Item",
        "field": f"{field}Item",
        "field_plural": f"{field}Items",
        "field_py": f"{name}_item",
        "field_plural_py": f"{name}_items",
    }
