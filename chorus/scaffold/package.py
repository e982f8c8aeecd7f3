"""The base of every scaffold: the subgraph package, its test and its chorus.yaml entry.

Writes `subgraphs/NAME/{__init__,schema,app}.py` (a strawberry Federation 2 schema
with one `@key` entity, served through `subgraphs.kit.create_app`), the test
`tests/subgraphs/NAME/test_NAME.py` (both under another package with `--package`),
an entry in `chorus.yaml` and one in the rover-style `supergraph.yaml` at the project
root (created when absent).
"""

from __future__ import annotations

from typing import Any

import yaml

from chorus.scaffold.errors import ScaffoldError
from chorus.scaffold.fixtures import database_fixtures
from chorus.scaffold.plan import Context, Plan, Slots, load_mapping, render
from chorus.scaffold.python_source import definitions, import_block
from chorus.scaffold.yaml_text import add_mapping_entry

FEDERATION_VERSION = "=2.11.0"
SUPERGRAPH_HEADER = """\
# Rover-style composition config: `chorus compose` writes the supergraph from it.
# Each subgraph is introspected through `_service { sdl }` at `schema.subgraph_url`;
# `chorus new subgraph NAME` adds new subgraphs here.
"""


class SubgraphPackage:
    """The package with one in-memory entity, its test, and the chorus.yaml entry."""

    def contribute(self, ctx: Context, slots: Slots) -> None:
        slots.schema_imports |= {
            "from __future__ import annotations",
            "from dataclasses import dataclass",
            "import strawberry",
        }
        slots.schema_types.insert(0, ctx.values["type_name"])
        slots.test_imports |= {
            "from __future__ import annotations",
            "import contextlib",
            "import time",
            "from collections.abc import Iterator",
            "from typing import Any",
            "from starlette.testclient import TestClient",
            f"from {ctx.package_name}.app import create_app",
        }

    def apply(self, ctx: Context, slots: Slots, plan: Plan) -> None:
        values = dict(ctx.values)
        app = {
            "imports": import_block(
                {
                    "from __future__ import annotations",
                    "from starlette.applications import Starlette",
                    f"from {ctx.package_name}.schema import build_schema",
                    "from subgraphs.kit import create_app as kit_app",
                    *slots.app_imports,
                }
            ),
            "setup": "".join(f"    {line}\n" for line in slots.app_setup),
            "arguments": _call_arguments(
                ["build_schema()", f'name="{ctx.name}"', *slots.app_arguments]
            ),
        }
        code = list(slots.schema_code)
        if slots.mutation_fields:
            code.append(_class("Mutation", slots.mutation_fields))
        schema = {
            "imports": import_block(slots.schema_imports),
            "defs": definitions(slots.schema_defs),
            "query_fields": "".join("\n" + f.rstrip("\n") + "\n" for f in slots.query_fields),
            "code": definitions(code),
            "schema_args": "        mutation=Mutation,\n" if slots.mutation_fields else "",
            "types": "".join(f"            {t},\n" for t in slots.schema_types),
        }
        test = {
            "imports": import_block(slots.test_imports),
            "code": "".join("\n\n" + f.rstrip("\n") + "\n" for f in slots.test_code),
        }
        for template, target, extra in (
            ("subgraph/__init__.py.tmpl", ctx.package / "__init__.py", {}),
            ("subgraph/schema.py.tmpl", ctx.package / "schema.py", schema),
            ("subgraph/app.py.tmpl", ctx.package / "app.py", app),
            ("subgraph/test_subgraph.py.tmpl", ctx.test_dir / f"test_{ctx.name}.py", test),
        ):
            plan.create(target, render(template, {**values, **extra}))
        router_test = {
            "imports": import_block(
                {
                    "from __future__ import annotations",
                    "import contextlib",
                    "from collections.abc import AsyncIterator",
                    "from pathlib import Path",
                    "from typing import Any",
                    "import httpx",
                    "from starlette.applications import Starlette",
                    "from chorus.config import load_config",
                    "from chorus.schemas import stack_sources",
                    "from router.server.app import create_router_app",
                    "from router.compose import SubgraphSource, compose",
                    "from router.settings import RouterSettings",
                    f"from {ctx.package_name}.app import create_app",
                    *slots.router_test_imports,
                }
            ),
            "code": "".join("\n\n" + f.rstrip("\n") + "\n" for f in slots.router_test_code),
        }
        if slots.router_test_code:  # the features that serve something worth routing to
            plan.create(
                ctx.test_dir / "test_through_router.py",
                render("subgraph/test_through_router.py.tmpl", {**values, **router_test}),
            )
        if slots.fixture_imports:
            fixtures = {
                "imports": import_block(slots.fixture_imports),
                "code": definitions([database_fixtures(ctx, slots), *slots.fixtures]).rstrip("\n")
                + "\n",
            }
            plan.create(
                ctx.test_dir / "conftest.py",
                render("subgraph/conftest.py.tmpl", {**values, **fixtures}),
            )

        for init in ctx.missing_parents:
            plan.create(init, f'"""The {init.parent.name} package."""\n')

        chorus_yaml = ctx.root / "chorus.yaml"
        entry = {"app": f"{ctx.package_name}.app:create_app", "port": ctx.port, **slots.config}
        plan.update(
            chorus_yaml, add_mapping_entry(plan.text(chorus_yaml), "subgraphs", ctx.name, entry)
        )
        _add_to_supergraph_yaml(ctx, plan)


def _call_arguments(arguments: list[str]) -> str:
    """Arguments of a call as ruff formats them: on one line, or one a line when there are more."""
    if len(arguments) <= 2:
        return ", ".join(arguments)
    return "\n" + "".join(f"        {a},\n" for a in arguments) + "    "


def _class(name: str, members: list[str]) -> str:
    body = "\n".join(m.rstrip("\n") + "\n" for m in members)
    return f"@strawberry.type\nclass {name}:\n{body}"


def _add_to_supergraph_yaml(ctx: Context, plan: Plan) -> None:
    """The project's rover-style supergraph.yaml, for `chorus compose` on a laptop."""
    path = ctx.root / "supergraph.yaml"
    url = f"http://127.0.0.1:{ctx.port}/graphql"
    entry = {"routing_url": url, "schema": {"subgraph_url": url}}
    if not path.exists():
        plan.create(path, new_supergraph_yaml(ctx.existing_subgraphs, {ctx.name: entry}))
        return
    text = plan.text(path)
    if ctx.name in (load_mapping(text, path).get("subgraphs") or {}):
        raise ScaffoldError(f"supergraph.yaml already has a subgraph named {ctx.name!r}")
    plan.update(path, add_mapping_entry(text, "subgraphs", ctx.name, entry))


def new_supergraph_yaml(chorus_subgraphs: dict[str, Any], extra: dict[str, dict[str, Any]]) -> str:
    """A supergraph.yaml listing chorus.yaml's subgraphs (introspected) plus `extra`."""
    entries: dict[str, Any] = {}
    for sub_name, sub in chorus_subgraphs.items():
        if not isinstance(sub, dict) or "port" not in sub:
            continue
        url = f"http://{sub.get('host', '127.0.0.1')}:{sub['port']}/graphql"
        entries[sub_name] = {"routing_url": url, "schema": {"subgraph_url": url}}
    entries.update(extra)
    body = yaml.safe_dump(
        {"federation_version": FEDERATION_VERSION, "subgraphs": entries}, sort_keys=False
    )
    return SUPERGRAPH_HEADER + body
