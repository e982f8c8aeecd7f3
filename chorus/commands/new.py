"""`chorus new subgraph NAME`: scaffold a team subgraph that composes and serves right away.

Writes `subgraphs/NAME/{__init__,schema,app}.py` (a strawberry Federation 2
schema with one `@key` entity, served through `subgraphs.kit.create_app`), a
test in `tests/NAME/`, an entry in `chorus.yaml` and one in the rover-style
`supergraph.yaml` at the project root (created from `chorus.yaml` when absent).
The YAML files are edited as text, so their comments and layout survive; every
edit is re-parsed and compared with the intended data before anything is written.
"""

from __future__ import annotations

import keyword
import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Annotated, Any

import typer
import yaml
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
MAX_NAME_LENGTH = 30
RESERVED_NAMES = frozenset({"kit", "subgraphs", "router", "chorus", "models", "tests", "test"})
FEDERATION_VERSION = "=2.11.0"
SUPERGRAPH_HEADER = """\
# Rover-style composition config: `chorus compose` writes the supergraph from it.
# Each subgraph is introspected through `_service { sdl }` at `schema.subgraph_url`;
# `chorus new subgraph NAME` adds new subgraphs here.
"""


class ScaffoldError(Exception):
    """The scaffold cannot be written; nothing was changed."""


def register(new: typer.Typer) -> None:
    """Add `subgraph` to the `chorus new` group."""
    new.command("subgraph")(new_subgraph_command)


def new_subgraph_command(
    name: Annotated[str, typer.Argument(help="subgraph name: lower_snake_case")],
    port: Annotated[
        int | None, typer.Option(help="port (default: one above the highest in chorus.yaml)")
    ] = None,
    project: Annotated[Path, typer.Option(help="project root (holds chorus.yaml)")] = Path("."),
) -> None:
    """Scaffold a subgraph: package, test, chorus.yaml and supergraph.yaml entries."""
    try:
        plan = plan_subgraph(project, name, port)
        write_plan(plan)
    except ScaffoldError as exc:
        err.print(f"[red]cannot create subgraph {escape(name)!r}:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    for path in plan.created:
        console.print(f"created  {path.relative_to(plan.root)}")
    for path in plan.updated:
        console.print(f"updated  {path.relative_to(plan.root)}")
    console.print(f"\n[bold green]subgraph {name} on port {plan.port}[/bold green]. Next:")
    for command, what in (
        (f"chorus subgraph {name}", "serve it"),
        (f"pytest tests/{name}", "run its tests"),
        ("chorus compose -o supergraph.graphql", "compose it with the others"),
        ("chorus dev", "or run the whole stack, with hot reload"),
    ):
        console.print(f"  {command:<40} # {what}")
    if (plan.root / "docker" / "Dockerfile").exists():
        console.print(
            f"\n[yellow]Docker:[/yellow] the image copies subgraphs/ whole; to deploy {name} "
            f"add a `{name}` service running `subgraph {name} --host 0.0.0.0 --port "
            f"{plan.port}` to docker/compose.yaml and an entry to docker/supergraph.yaml."
        )


# ----------------------------------------------------------------------------- planning
@dataclass
class Plan:
    """Everything the scaffold will write, computed and checked before any write."""

    root: Path
    name: str
    port: int
    files: dict[Path, str] = field(default_factory=dict)
    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)


def check_name(name: str) -> None:
    if not NAME_PATTERN.match(name):
        raise ScaffoldError(
            "names are lower_snake_case: a lowercase letter, then letters, digits "
            "and single underscores (e.g. `inventory`, `user_profiles`)"
        )
    if len(name) > MAX_NAME_LENGTH:
        raise ScaffoldError(f"names are at most {MAX_NAME_LENGTH} characters")
    if keyword.iskeyword(name) or name in RESERVED_NAMES:
        raise ScaffoldError(f"{name!r} is reserved")


def placeholders(name: str) -> dict[str, str]:
    """Names derived from the subgraph's: the entity type and its root fields."""
    pascal = "".join(part.capitalize() for part in name.split("_"))
    camel = pascal[0].lower() + pascal[1:]
    imports = sorted(
        [
            f"from subgraphs.{name}.schema import build_schema",
            "from subgraphs.kit import create_app as kit_app",
        ]
    )
    return {
        "name": name,
        "type_name": f"{pascal}Item",
        "field": f"{camel}Item",
        "field_plural": f"{camel}Items",
        "field_py": f"{name}_item",
        "field_plural_py": f"{name}_items",
        "imports": "\n".join(imports),
    }


def render(template: str, values: dict[str, str]) -> str:
    text = resources.files("chorus.templates").joinpath(template).read_text()
    return Template(text).substitute(values)


def plan_subgraph(root: Path, name: str, port: int | None = None) -> Plan:
    """Check the name, port and project; render every file. Raises ScaffoldError."""
    check_name(name)
    root = root.resolve()
    chorus_yaml = root / "chorus.yaml"
    if not chorus_yaml.exists():
        raise ScaffoldError(f"no chorus.yaml in {root}: run this in a Chorus project")
    if not (root / "subgraphs").is_dir():
        raise ScaffoldError(f"no subgraphs/ folder in {root}")
    config_text = chorus_yaml.read_text()
    config = _load_mapping(config_text, chorus_yaml)
    subgraphs = config.get("subgraphs") or {}
    if not isinstance(subgraphs, dict):
        raise ScaffoldError("chorus.yaml: `subgraphs` must be a mapping")
    package = root / "subgraphs" / name
    test_dir = root / "tests" / name
    if name in subgraphs:
        raise ScaffoldError(f"chorus.yaml already has a subgraph named {name!r}")
    for existing in (package, test_dir):
        if existing.exists():
            raise ScaffoldError(f"{existing.relative_to(root)} already exists")
    port = port if port is not None else _next_port(config)
    _check_port(port, name, config)

    plan = Plan(root, name, port)
    values = placeholders(name)
    for template, target in (
        ("subgraph/__init__.py.tmpl", package / "__init__.py"),
        ("subgraph/schema.py.tmpl", package / "schema.py"),
        ("subgraph/app.py.tmpl", package / "app.py"),
        ("subgraph/test_subgraph.py.tmpl", test_dir / f"test_{name}_subgraph.py"),
    ):
        plan.files[target] = render(template, values)
        plan.created.append(target)

    entry = {"app": f"subgraphs.{name}.app:create_app", "port": port}
    plan.files[chorus_yaml] = add_mapping_entry(config_text, "subgraphs", name, entry)
    plan.updated.append(chorus_yaml)

    supergraph_yaml = root / "supergraph.yaml"
    url = f"http://127.0.0.1:{port}/graphql"
    rover_entry = {"routing_url": url, "schema": {"subgraph_url": url}}
    if supergraph_yaml.exists():
        text = supergraph_yaml.read_text()
        existing_rover = _load_mapping(text, supergraph_yaml).get("subgraphs") or {}
        if name in existing_rover:
            raise ScaffoldError(f"supergraph.yaml already has a subgraph named {name!r}")
        plan.files[supergraph_yaml] = add_mapping_entry(text, "subgraphs", name, rover_entry)
        plan.updated.append(supergraph_yaml)
    else:
        plan.files[supergraph_yaml] = new_supergraph_yaml(subgraphs, {name: rover_entry})
        plan.created.append(supergraph_yaml)
    return plan


def write_plan(plan: Plan) -> None:
    """Create the package and test folders (refusing to overwrite), then write every file."""
    for path in plan.created:
        if path.exists():
            raise ScaffoldError(f"{path.relative_to(plan.root)} already exists")
    for path, text in plan.files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


def _load_mapping(text: str, path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ScaffoldError(f"{path.name} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ScaffoldError(f"{path.name}: the top level must be a mapping")
    return data


def _used_ports(config: dict[str, Any]) -> dict[int, str]:
    used: dict[int, str] = {}
    router = config.get("router") or {}
    used[int(router.get("port", 4000))] = "the router"
    for sub_name, sub in (config.get("subgraphs") or {}).items():
        if isinstance(sub, dict) and "port" in sub:
            used[int(sub["port"])] = f"subgraph {sub_name}"
    return used


def _next_port(config: dict[str, Any]) -> int:
    return max(_used_ports(config)) + 1


def _check_port(port: int, name: str, config: dict[str, Any]) -> None:
    if not 1 <= port <= 65535:
        raise ScaffoldError(f"port {port} is not between 1 and 65535")
    owner = _used_ports(config).get(port)
    if owner is not None:
        raise ScaffoldError(f"port {port} is already used by {owner} in chorus.yaml")


# ----------------------------------------------------------------------------- YAML text
def _render_entry(key: str, value: Any, indent: str, unit: str) -> list[str]:
    if isinstance(value, dict):
        lines = [f"{indent}{key}:\n"]
        for k, v in value.items():
            lines += _render_entry(k, v, indent + unit, unit)
        return lines
    return [f"{indent}{yaml.safe_dump({key: value}, default_flow_style=False).strip()}\n"]


def add_mapping_entry(text: str, top_key: str, name: str, entry: dict[str, Any]) -> str:
    """`text` with `name: entry` appended to the top-level mapping `top_key`.

    Only lines are inserted (comments and formatting elsewhere stay byte for
    byte); the result is parsed and must equal the original data plus the entry.
    """
    lines = text.splitlines(keepends=True)
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    head = re.compile(rf"^{re.escape(top_key)}:\s*(\{{\s*\}})?\s*(#.*)?$")
    start = next((i for i, line in enumerate(lines) if head.match(line.rstrip("\n"))), None)
    unit = "  "
    if start is None:
        insert_at = len(lines)
        new_lines = [f"{top_key}:\n", *_render_entry(name, entry, unit, unit)]
    else:
        match = head.match(lines[start].rstrip("\n"))
        assert match is not None
        if match.group(1):  # `subgraphs: {}` becomes a block mapping
            comment = f"  {match.group(2)}" if match.group(2) else ""
            lines[start] = f"{top_key}:{comment}\n"
        insert_at = start + 1
        child_indent: str | None = None
        for i in range(start + 1, len(lines)):
            line = lines[i]
            stripped = line.strip()
            if not stripped:
                continue
            if not line[0].isspace():
                if stripped.startswith("#"):
                    continue  # a column-0 comment may still be inside the block
                break
            insert_at = i + 1
            if child_indent is None and not stripped.startswith("#"):
                child_indent = line[: len(line) - len(line.lstrip())]
        indent = child_indent or unit
        new_lines = _render_entry(name, entry, indent, indent)
    result = "".join(lines[:insert_at] + new_lines + lines[insert_at:])
    try:
        expected = yaml.safe_load(text) or {}
        block = expected.get(top_key) or {}
        expected[top_key] = {**block, name: entry}
        same = yaml.safe_load(result) == expected
    except (yaml.YAMLError, AttributeError, TypeError):
        same = False
    if not same:
        wanted = yaml.safe_dump({top_key: {name: entry}}, sort_keys=False)
        raise ScaffoldError(
            f"could not add the entry to `{top_key}` as text; add it by hand:\n{wanted}"
        )
    return result


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
