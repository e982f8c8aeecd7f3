"""`chorus compose` and `chorus check`: composition from a rover-style supergraph.yaml."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape

console = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)

SupergraphConfigOption = Annotated[
    Path,
    typer.Option("--config", "-c", help="rover-style supergraph.yaml", exists=False),
]


def register(app: typer.Typer) -> None:
    """Add `compose` and `check` to the chorus CLI."""
    app.command("compose")(compose_command)
    app.command("check")(check_command)


def _sources(config: Path):  # type: ignore[no-untyped-def]
    from router.compose import ConfigError, load_config, load_sources

    try:
        return load_sources(load_config(config))
    except ConfigError as exc:
        err.print(f"[red]config error:[/red] {escape(str(exc))}")
        raise typer.Exit(2) from exc


def _print_errors(errors: list, title: str) -> None:  # type: ignore[type-arg]
    err.print(f"[red]{title}: {len(errors)} error(s)[/red]")
    for error in errors:
        # plain echo: messages span lines (example queries) and must never be cropped
        typer.echo(f"{error.code}: {error.message}", err=True)


def compose_command(
    config: SupergraphConfigOption = Path("supergraph.yaml"),
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="write the supergraph SDL here")
    ] = None,
) -> None:
    """Compose the subgraphs of supergraph.yaml into an Apollo-format supergraph SDL."""
    from router.compose import compose

    result = compose(_sources(config))
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
    config: SupergraphConfigOption = Path("supergraph.yaml"),
) -> None:
    """Compose a proposed subgraph schema with the others; exit 1 on breaking changes."""
    from router.compose import check_subgraph

    try:
        sdl = schema.read_text()
    except OSError as exc:
        err.print(f"[red]cannot read {schema}: {escape(str(exc))}[/red]")
        raise typer.Exit(2) from exc
    result = check_subgraph(_sources(config), subgraph, sdl)
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
