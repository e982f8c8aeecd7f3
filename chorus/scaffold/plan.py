"""A scaffold is a list of features; each adds code to the generated files and edits to the project.

Every feature sees the same `Context` (the project, the new subgraph's name and
port) and contributes in two steps: first fragments of the generated Python files
(`Slots`: imports, classes, schema types, tests), then files and edits of its own
(`Plan`). The whole plan is computed and checked before anything is written;
checks that need the written files (composing the supergraph) run after the
write, and a failure restores every file.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from string import Template
from typing import Any, Protocol

import yaml

from chorus.scaffold.errors import ScaffoldError
from chorus.scaffold.names import check_name, check_package, placeholders


@dataclass(frozen=True)
class Context:
    """What every feature knows about the subgraph being created."""

    root: Path
    name: str
    port: int
    config: dict[str, Any]  # chorus.yaml as data
    values: dict[str, str]  # template placeholders: name, type_name, field, ...
    module: str = ""  # the package's dotted name; "" means subgraphs.NAME

    @property
    def existing_subgraphs(self) -> dict[str, Any]:
        """chorus.yaml's subgraphs before this one, in file order."""
        return dict(self.config.get("subgraphs") or {})

    @property
    def package_name(self) -> str:
        """The dotted package name: `subgraphs.NAME`, or the one `--package` gave."""
        return self.module or f"subgraphs.{self.name}"

    @property
    def package(self) -> Path:
        return self.root.joinpath(*self.package_name.split("."))

    @property
    def test_dir(self) -> Path:
        """Tests mirror the source tree: subgraphs/NAME -> tests/subgraphs/NAME."""
        return self.root.joinpath("tests", *self.package_name.split("."))

    @property
    def missing_parents(self) -> list[Path]:
        """`__init__.py` files of the package's parents that do not exist yet (outermost first)."""
        parts = self.package_name.split(".")[:-1]
        inits = [self.root.joinpath(*parts[: i + 1], "__init__.py") for i in range(len(parts))]
        return [init for init in inits if not init.exists()]


@dataclass
class Slots:
    """Fragments that features add to the generated modules, tests and chorus.yaml entry."""

    schema_imports: set[str] = field(default_factory=set)
    schema_defs: list[str] = field(default_factory=list)  # definitions before `Query`
    schema_code: list[str] = field(default_factory=list)  # definitions after `Query`
    schema_types: list[str] = field(default_factory=list)  # passed to Schema(types=[...])
    query_fields: list[str] = field(default_factory=list)  # members of `Query` (indented)
    mutation_fields: list[str] = field(default_factory=list)  # members of `Mutation`
    app_imports: set[str] = field(default_factory=set)
    app_setup: list[str] = field(default_factory=list)  # statements in create_app()
    app_arguments: list[str] = field(default_factory=list)  # `models=[...]`, `context=...`
    test_imports: set[str] = field(default_factory=set)
    test_code: list[str] = field(default_factory=list)  # test functions after the base ones
    router_test_imports: set[str] = field(default_factory=set)
    router_test_code: list[str] = field(default_factory=list)  # tests through the router
    fixture_imports: set[str] = field(default_factory=set)  # the tests' conftest.py
    fixtures: list[str] = field(default_factory=list)
    migration_histories: list[str] = field(default_factory=list)  # the tests' database migrates
    config: dict[str, Any] = field(default_factory=dict)  # more keys of the chorus.yaml entry


PostWrite = Callable[["Plan"], str]


@dataclass
class Plan:
    """Everything the scaffold will write, computed and checked before any write."""

    root: Path
    name: str
    port: int
    files: dict[Path, str] = field(default_factory=dict)
    created: list[Path] = field(default_factory=list)
    updated: list[Path] = field(default_factory=list)
    after_write: list[PostWrite] = field(default_factory=list)  # return what they did
    notes: list[str] = field(default_factory=list)  # what was done after the write

    def text(self, path: Path) -> str:
        """The file as the plan will write it (pending edits included)."""
        return self.files[path] if path in self.files else path.read_text()

    def create(self, path: Path, text: str) -> None:
        if path.exists() or path in self.files:
            raise ScaffoldError(f"{self.relative(path)} already exists")
        self.files[path] = text
        self.created.append(path)

    def update(self, path: Path, text: str) -> None:
        self.files[path] = text
        if path not in self.updated and path not in self.created:
            self.updated.append(path)

    def relative(self, path: Path) -> str:
        return str(path.relative_to(self.root))


class Feature(Protocol):
    """One part of a scaffold (the package, an entity extension, the deploy files...)."""

    def contribute(self, ctx: Context, slots: Slots) -> None:
        """Add fragments to the generated modules (called for every feature first)."""

    def apply(self, ctx: Context, slots: Slots, plan: Plan) -> None:
        """Add files and edits to the plan (called once every feature has contributed)."""


def render(template: str, values: dict[str, str]) -> str:
    """A template of chorus/templates with `${placeholders}` (`$$` is a literal `$`)."""
    text = resources.files("chorus.templates").joinpath(template).read_text()
    return Template(text).substitute(values)


def load_mapping(text: str, path: Path) -> dict[str, Any]:
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as exc:
        raise ScaffoldError(f"{path.name} is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ScaffoldError(f"{path.name}: the top level must be a mapping")
    return data


def used_ports(config: dict[str, Any]) -> dict[int, str]:
    used: dict[int, str] = {}
    router = config.get("router") or {}
    used[int(router.get("port", 4000))] = "the router"
    for sub_name, sub in (config.get("subgraphs") or {}).items():
        if isinstance(sub, dict) and "port" in sub:
            used[int(sub["port"])] = f"subgraph {sub_name}"
    return used


def _check_port(port: int, config: dict[str, Any]) -> None:
    if not 1 <= port <= 65535:
        raise ScaffoldError(f"port {port} is not between 1 and 65535")
    owner = used_ports(config).get(port)
    if owner is not None:
        raise ScaffoldError(f"port {port} is already used by {owner} in chorus.yaml")


def context(root: Path, name: str, port: int | None = None, package: str | None = None) -> Context:
    """Check the name, the port, the package and the project. Raises ScaffoldError.

    `package` (dotted, e.g. `apps.fraud.ingestion`) puts the subgraph inside an
    application's package instead of `subgraphs/NAME`; missing parent packages are created.
    """
    check_name(name)
    root = root.resolve()
    chorus_yaml = root / "chorus.yaml"
    if not chorus_yaml.exists():
        raise ScaffoldError(f"no chorus.yaml in {root}: run this in a Chorus project")
    if package is None and not (root / "subgraphs").is_dir():
        raise ScaffoldError(f"no subgraphs/ folder in {root}")
    if package is not None:
        check_package(package)
    config = load_mapping(chorus_yaml.read_text(), chorus_yaml)
    subgraphs = config.get("subgraphs") or {}
    if not isinstance(subgraphs, dict):
        raise ScaffoldError("chorus.yaml: `subgraphs` must be a mapping")
    if name in subgraphs:
        raise ScaffoldError(f"chorus.yaml already has a subgraph named {name!r}")
    port = port if port is not None else max(used_ports(config)) + 1
    _check_port(port, config)
    ctx = Context(root, name, port, config, placeholders(name), package or "")
    ctx.values["package"] = ctx.package_name  # templates import the package by its dotted name
    for existing in (ctx.package, ctx.test_dir):
        if existing.exists():
            raise ScaffoldError(f"{existing.relative_to(root)} already exists")
    return ctx


def plan_subgraph(ctx: Context, features: Sequence[Feature]) -> Plan:
    """Every file and edit of the features, rendered and checked; nothing is written."""
    slots = Slots()
    for feature in features:
        feature.contribute(ctx, slots)
    plan = Plan(ctx.root, ctx.name, ctx.port)
    for feature in features:
        feature.apply(ctx, slots, plan)
    return plan


def write_plan(plan: Plan) -> None:
    """Write every file, then run the post-write steps; on any failure restore the project."""
    for path in plan.created:
        if path.exists():
            raise ScaffoldError(f"{plan.relative(path)} already exists")
    originals = {path: path.read_text() for path in plan.updated}
    new_dirs = sorted(
        {parent for path in plan.created for parent in path.parents if not parent.exists()},
        key=lambda p: len(p.parts),
        reverse=True,
    )
    try:
        for path, text in plan.files.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
        for step in plan.after_write:
            plan.notes.append(step(plan))
    except BaseException:
        for path, text in originals.items():
            path.write_text(text)
        for path in plan.created:
            path.unlink(missing_ok=True)
        for folder in new_dirs:
            shutil.rmtree(folder, ignore_errors=True)
        raise
