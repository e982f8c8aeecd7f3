"""`chorus compose` and `chorus check`: composition without the stack running.

The subgraph SDLs come from a rover-style supergraph.yaml (`--config`: schema files, or
introspection of running subgraphs), or from the chorus.yaml stack (`--stack`): each
subgraph's `sdl:` file, else its schema printed in-process from its app factory.
Without either option, ./supergraph.yaml is used when present, else the stack.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SupergraphConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", help="rover-style supergraph.yaml", exists=False),
]
StackOption = Annotated[
    Path | None,
    typer.Option(
        "--stack",
        help="compose the subgraphs of this chorus.yaml in-process "
        "(default CHORUS_CONFIG or ./chorus.yaml when there is no ./supergraph.yaml)",
    ),
]
ROVER_DEFAULT = Path("supergraph.yaml")


def register(app: typer.Typer) -> None:
    """Add `compose` and `check` to the chorus CLI."""
    app.command("compose")(compose_command)
    app.command("check")(check_command)


def _sources(config: Path | None, stack: Path | None = None):  # type: ignore[no-untyped-def]
    if config is None and stack is None and ROVER_DEFAULT.exists():
        config = ROVER_DEFAULT
    if config is None:
        return _stack_sources(stack)
    from router.compose import ConfigError, load_config, load_sources

    try:
        return load_sources(load_config(config))
    except ConfigError as exc:
        err.print(f"[red]config error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _stack_sources(stack: Path | None):  # type: ignore[no-untyped-def]
    from chorus import config as stack_config
    from chorus.schemas import SchemaUnavailable, stack_sources

    try:
        cfg = stack_config.load_config(stack)
    except stack_config.ConfigError as exc:
        err.print(f"[red]config error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc
    if not cfg.subgraphs:
        where = stack or "chorus.yaml"
        err.print(f"[red]{where} lists no subgraphs (and there is no supergraph.yaml)[/red]")
        raise typer.Exit(2)
    try:
        return stack_sources(cfg)
    except SchemaUnavailable as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc


def _print_errors(errors: list, title: str) -> None:  # type: ignore[type-arg]
    err.print(f"[red]{title}: {len(errors)} error(s)[/red]")
    for error in errors:
        # plain echo: messages span lines (example queries) and must never be cropped
        typer.echo(f"{error.code}: {error.message}", err=True)


def compose_command(
    config: SupergraphConfigOption = None,
    stack: StackOption = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the supergraph SDL here")
    ] = None,
) -> None:
    """Compose the subgraphs into an Apollo-format supergraph SDL (no subgraph need run)."""
    from router.compose import compose

    result = compose(_sources(config, stack))
    if result.supergraph_sdl is None:
        _print_errors(result.errors, "composition failed")
        raise typer.Exit(1)
    if output is None:
        typer.echo(result.supergraph_sdl, nl=False)
    else:
        output.write_text(result.supergraph_sdl)
        err.print(f"wrote {output}")


def check_command(
    subgraph: Annotated[str, typer.Option("--subgraph", help="name of the subgraph to check")],
    schema: Annotated[Path, typer.Option("--schema", help="the proposed SDL of that subgraph")],
    config: SupergraphConfigOption = None,
    stack: StackOption = None,
) -> None:
    """Compose a proposed subgraph schema with the others; exit 1 on breaking changes."""
    from router.compose import check_subgraph

    try:
        sdl = schema.read_text()
    except OSError as exc:
        err.print(f"[red]cannot read {schema}: {escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    result = check_subgraph(_sources(config, stack), subgraph, sdl)
    if result.errors:
        _print_errors(result.errors, f"{subgraph}: the proposed schema does not compose")
        raise typer.Exit(1)
    if result.baseline_errors:
        err.print("[yellow]the current subgraphs do not compose; no changes to compare[/yellow]")
    for change in result.breaking:
        console.print(f"[red]BREAKING[/red] {change.type.name}: {escape(change.description)}")
    for change in result.dangerous:
        console.print(
            f"[yellow]DANGEROUS[/yellow] {change.type.name}: {escape(change.description)}"
        )
    if not result.breaking and not result.dangerous:
        console.print(f"{subgraph}: composes, no breaking or dangerous changes")
    if result.breaking:
        raise typer.Exit(1)
