"""`chorus new subgraph NAME`: scaffold a team subgraph that composes, serves and deploys.

The command only parses options and picks the scaffold's features (chorus/scaffold):
the package and its test, an entity field on another team's type (`--extends`),
and the deploy entries (compose, Kubernetes, Prometheus, the committed supergraph).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

from chorus.scaffold import (
    Deploy,
    EntityExtension,
    Feature,
    ModelFeature,
    ScaffoldError,
    SubgraphPackage,
    TableFeature,
    context,
    plan_subgraph,
    write_plan,
)

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


def register(new: typer.Typer) -> None:
    """Add `subgraph` to the `chorus new` group."""
    new.command("subgraph")(new_subgraph_command)


def new_subgraph_command(
    name: Annotated[str, typer.Argument(help="subgraph name: lower_snake_case")],
    port: Annotated[
        int | None, typer.Option(help="port (default: one above the highest in chorus.yaml)")
    ] = None,
    extends: Annotated[
        str | None,
        typer.Option(
            "--extends",
            metavar="TYPE",
            help="another subgraph's entity type to add a field to (e.g. Turn)",
        ),
    ] = None,
    requires: Annotated[
        list[str] | None,
        typer.Option(
            "--requires",
            metavar="FIELD",
            help="a field of that entity the new field is computed from (@requires); repeatable",
        ),
    ] = None,
    field: Annotated[
        str | None,
        typer.Option(
            "--field", metavar="NAME", help="the new field's name (default: the subgraph's name)"
        ),
    ] = None,
    model: Annotated[
        bool,
        typer.Option(
            "--model",
            help="serve a tiny trainable model (with its trainer plugin and data); with "
            "--extends, the model computes the new field",
        ),
    ] = False,
    table: Annotated[
        bool,
        typer.Option(
            "--table", help="own a table: its migration history and a mutation that writes to it"
        ),
    ] = False,
    package: Annotated[
        str | None,
        typer.Option(
            "--package",
            metavar="PKG",
            help="dotted package to write it in, e.g. apps.shop.inventory for an application's "
            "subgraph (default: subgraphs.NAME); tests go to the mirrored tests/ folder",
        ),
    ] = None,
    project: Annotated[Path, typer.Option(help="project root (holds chorus.yaml)")] = Path("."),
) -> None:
    """Scaffold a subgraph: package, tests, chorus.yaml and every deploy entry."""
    try:
        if extends is None and (requires or field):
            raise ScaffoldError("--requires and --field need --extends TYPE")
        ctx = context(project, name, port, package)
        features: list[Feature] = [SubgraphPackage()]
        if model:
            features.append(ModelFeature())
        if table:
            features.append(TableFeature(model=model))
        if extends is not None:
            features.append(EntityExtension.read(ctx, extends, requires or [], field, model=model))
        features.append(Deploy())
        plan = plan_subgraph(ctx, features)
        write_plan(plan)
    except ScaffoldError as exc:
        err.print(f"[red]cannot create subgraph {escape(name)!r}:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    for path in plan.created:
        console.print(f"created      {plan.relative(path)}")
    for path in plan.updated:
        console.print(f"updated      {plan.relative(path)}")
    for note in plan.notes:
        console.print(note)
    test_path = plan.relative(ctx.test_dir)
    console.print(f"\n[bold green]subgraph {name} on port {plan.port}[/bold green]. Next:")
    steps = []
    if table:
        steps.append(("chorus migrate", "create its table"))
    if model:
        steps.append((f"chorus train {name}", "train and register its model"))
    for command, what in (
        *steps,
        (f"chorus subgraph {name}", "serve it"),
        (f"pytest {test_path}", "run its tests"),
        ("chorus compose -o supergraph.graphql", "compose it with the others"),
        ("chorus dev", "or run the whole stack, with hot reload"),
    ):
        console.print(f"  {command:<40} # {what}")
