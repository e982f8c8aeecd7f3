"""The `chorus` command line: run the stack, a router, a subgraph; migrate; train; manage models."""

from __future__ import annotations

import asyncio
import importlib
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from chorus import __version__
from chorus.commands.evaluate import EvaluateGroup
from chorus.commands.train import TrainGroup
from chorus.config import ChorusConfig, ConfigError, load_config

app = typer.Typer(no_args_is_help=True, add_completion=False, help=__doc__)
train_app = typer.Typer(
    cls=TrainGroup,
    no_args_is_help=True,
    help="Train a registered model (chorus.yaml `models:` or an installed trainer) "
    "and register the version.",
)
test_app = typer.Typer(
    cls=EvaluateGroup,
    no_args_is_help=True,
    help="Evaluate a registered model and store the metrics with its version.",
)
models_app = typer.Typer(no_args_is_help=True, help="List and promote registered model versions.")
new_app = typer.Typer(no_args_is_help=True, help="Scaffold new project parts.")
app.add_typer(train_app, name="train")
app.add_typer(test_app, name="test")
app.add_typer(models_app, name="models")
app.add_typer(new_app, name="new")

console = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ConfigOption = Annotated[
    Path | None, typer.Option("--config", "-c", help="stack config (default ./chorus.yaml)")
]


def _config(path: Path | None):  # type: ignore[no-untyped-def]
    try:
        return load_config(path)
    except ConfigError as exc:
        err.print(f"[red]config error:[/red] {exc}")
        raise typer.Exit(2) from exc


def _version(value: bool) -> None:
    if value:
        console.print(f"chorus {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")
    ] = False,
) -> None:
    """Chorus: GraphQL-federated AI services."""


# Eager, so that `chorus train -c FILE --help` lists the models of FILE.
GroupConfigOption = Annotated[
    Path | None,
    typer.Option("--config", "-c", is_eager=True, help="stack config (default ./chorus.yaml)"),
]


@train_app.callback()
def train_group(config: GroupConfigOption = None) -> None:
    """Train a registered model and register the version."""


@test_app.callback()
def test_group(config: GroupConfigOption = None) -> None:
    """Evaluate a registered model and store the metrics with its version."""


@app.command()
def dev(
    targets: Annotated[
        list[str] | None,
        typer.Argument(
            help="subgraphs or applications (chorus.yaml `applications:`) to start; default all",
            show_default=False,
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Start the router and the subgraphs, migrated and with their models; Ctrl-C stops all.

    `chorus dev concierge` starts one application's subgraphs, `chorus dev nlu dialogue`
    the ones named. On the first run the models those subgraphs declare are trained.
    """
    from chorus import bootstrap
    from chorus.dev import check_ports_free, run_stack
    from chorus.selection import SelectionError, stack_subset

    try:
        cfg = stack_subset(_config(config), targets or [])
    except SelectionError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc
    if not cfg.subgraphs:
        err.print("[red]no subgraph to start: chorus.yaml lists none[/red]")
        raise typer.Exit(2)
    taken = check_ports_free(cfg)
    if taken:
        err.print(f"[red]cannot start: already in use: {', '.join(taken)}[/red]")
        raise typer.Exit(1)
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    os.environ.update(cfg.process_env())
    if cfg.path is not None:  # the children (`chorus subgraph NAME`) read the same file
        os.environ["CHORUS_CONFIG"] = str(cfg.path.resolve())
    err.print(f"database: {cfg.resolved_database_url()}")
    err.print(f"subgraphs: {', '.join(cfg.subgraphs)}")
    bootstrap.migrate(cfg)
    if cfg.train_missing_models:
        bootstrap.ensure_models(cfg, err)
    raise typer.Exit(asyncio.run(run_stack(cfg, err)))


@app.command()
def router(
    supergraph: Annotated[Path, typer.Option(help="Apollo-format supergraph SDL file")],
    port: Annotated[int, typer.Option(help="port to listen on")] = 4000,
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    dev: Annotated[bool, typer.Option("--dev", help="expose query plans on request")] = False,
    watch: Annotated[
        bool,
        typer.Option(
            "--watch",
            help="reload the supergraph when the file changes (a bad one is logged and skipped)",
        ),
    ] = False,
    watch_interval: Annotated[
        float, typer.Option(min=0.05, help="seconds between checks of the file with --watch")
    ] = 1.0,
    static: Annotated[
        list[str] | None,
        typer.Option(help="serve a folder of static files, PREFIX=DIR (e.g. /chat=web/chat)"),
    ] = None,
    graphiql_query: Annotated[
        Path | None, typer.Option(help="file with the operation GraphiQL opens with")
    ] = None,
    router_config: Annotated[
        Path | None,
        typer.Option(
            help="router settings YAML (limits, CORS, auth, traffic); "
            "`python -m router.settings.reference` prints every setting with its default"
        ),
    ] = None,
) -> None:
    """Serve a supergraph: GraphQL at /graphql, health at /health, metrics at /metrics."""
    from router.server.main import StartupError, serve

    try:
        serve(
            supergraph,
            port=port,
            host=host,
            dev=dev,
            router_config=router_config,
            graphiql_query=graphiql_query,
            static=static or (),
            watch=watch,
            watch_interval=watch_interval,
        )
    except StartupError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(2) from exc


@app.command()
def subgraph(
    name: Annotated[str, typer.Argument(help="subgraph name from the config")],
    port: Annotated[int | None, typer.Option(help="port (default from the config)")] = None,
    host: Annotated[str | None, typer.Option(help="interface to bind")] = None,
    config: ConfigOption = None,
) -> None:
    """Serve one subgraph with uvicorn."""
    import uvicorn

    cfg = _config(config)
    sub = cfg.subgraphs.get(name)
    target = sub.app if sub else f"subgraphs.{name}.app:create_app"
    module_name, _, factory = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ModuleNotFoundError as exc:
        err.print(f"[red]unknown subgraph {name!r}: cannot import {module_name}[/red]")
        raise typer.Exit(2) from exc
    for key, value in cfg.process_env().items():
        os.environ.setdefault(key, value)
    for key, value in (sub.env if sub else {}).items():  # the application's wiring, as `chorus dev`
        os.environ.setdefault(key, value)
    from observability import configure_logging
    from router.server.coalescing_loop import LOOP

    configure_logging(name)
    application = getattr(module, factory)()
    uvicorn.run(
        application,
        host=host or (sub.host if sub else "127.0.0.1"),
        port=port or (sub.port if sub else 4001),
        loop=LOOP,  # uvloop, one socket write per response
        http="httptools",
        log_config=None,
        access_log=False,  # the kit logs one structured line per request
        timeout_graceful_shutdown=10,
    )


@app.command("training-worker")
def training_worker(
    concurrency: Annotated[int, typer.Option(min=1, help="jobs this worker runs at once")] = 1,
    config: ConfigOption = None,
) -> None:
    """Run training jobs from the procrastinate queue (CHORUS_TRAINING_ENGINE=procrastinate)."""
    cfg = _config(config)
    for key, value in cfg.process_env().items():
        os.environ.setdefault(key, value)
    training = cfg.subgraphs.get("training")
    for key, value in (training.env if training else {}).items():  # the engine's settings
        os.environ.setdefault(key, value)
    from subgraphs.training.procrastinate_worker import main as worker_main

    worker_main(["--concurrency", str(concurrency)])


@app.command()
def migrate(
    revision: Annotated[
        str, typer.Option(help="target: head, base, an id, or NAME@REV for one history")
    ] = "head",
    down: Annotated[bool, typer.Option("--down", help="downgrade to the revision")] = False,
    owner: Annotated[
        list[str] | None,
        typer.Option(
            "--owner",
            help="only this history: a name (models, dialogue...) or a package; repeatable",
        ),
    ] = None,
    new: Annotated[
        str | None,
        typer.Option(
            "--new", metavar="MESSAGE", help="write a new revision in the --owner's history"
        ),
    ] = None,
    config: ConfigOption = None,
) -> None:
    """Apply the alembic migrations: the framework's history, then each subgraph's and
    application's (chorus.yaml), to head by default."""
    import sqlalchemy as sa

    import migrations
    from chorus import migrating

    cfg = _config(config)
    try:
        stack = migrating.owners(cfg)
        chosen = migrating.pick(stack, owner or [])
        if new is not None:
            if len(chosen) != 1:
                raise migrations.MigrationsError("--new needs exactly one --owner")
            path = migrations.new_revision(chosen[0], new)
            console.print(f"wrote {path}")
            return
        cfg.data_dir.mkdir(parents=True, exist_ok=True)
        url = cfg.resolved_database_url()
        target = "base" if down and revision == "head" else revision
        move = migrations.downgrade if down else migrations.upgrade
        if chosen:
            for history in reversed(chosen) if down else chosen:
                move(url, f"{history.name}@{target}", owners=[history])
        else:
            move(url, target, owners=stack)
    except migrations.MigrationsError as exc:
        err.print(f"[red]migrate:[/red] {exc}")
        raise typer.Exit(2) from exc
    except sa.exc.SQLAlchemyError as exc:  # e.g. another history's tables still point here
        hint = " (do other histories' tables point into it? take them down first)" if down else ""
        first = str(exc).splitlines()[0]
        err.print(f"[red]migrate failed, that step rolled back:[/red] {first}{hint}")
        raise typer.Exit(1) from exc
    names = ", ".join(h.name for h in chosen or stack)
    console.print(f"migrated {url} {'down' if down else 'up'} to {target} ({names})")


@models_app.command("list")
def models_list(
    name: Annotated[str | None, typer.Argument(help="only this model")] = None,
    config: ConfigOption = None,
) -> None:
    """Show every registered model version with its stage and metrics."""
    from models.db import create_engine
    from models.model_management import list_versions
    from models.registry import ModelRegistry

    cfg = _config(config)

    async def fetch():  # type: ignore[no-untyped-def]
        engine = create_engine(cfg.resolved_database_url())
        try:
            return await list_versions(ModelRegistry(engine), name)
        finally:
            await engine.dispose()

    table = Table("name", "version", "stage", "metrics", "created", "path")
    for mv in asyncio.run(fetch()):
        metrics = ", ".join(
            f"{k}={v:.3f}" if isinstance(v, float) else f"{k}={v}"
            for k, v in sorted(mv.metrics.items())
            if not isinstance(v, dict | list)
        )
        created = mv.created_at.strftime("%Y-%m-%d %H:%M") if mv.created_at else ""
        table.add_row(mv.name, mv.version, mv.stage, metrics, created, mv.path)
    console.print(table)


def _primary_metric(cfg: ChorusConfig, name: str) -> str | None:
    """The model's trainer's primary metric, when a trainer for it is registered."""
    from chorus.trainers import trainer_registry
    from models.trainers import TrainerError

    try:
        return trainer_registry(cfg).get(name).trainer.primary_metric
    except TrainerError:
        return None


@models_app.command("promote")
def models_promote(
    name: Annotated[str, typer.Argument()],
    version: Annotated[str, typer.Argument()],
    force: Annotated[
        bool,
        typer.Option("--force", help="promote even when the evaluation gate finds it worse"),
    ] = False,
    config: ConfigOption = None,
) -> None:
    """Make a version the production one (the previous one is archived).

    The evaluation gate refuses a version that does worse than production on the
    model's primary metric, on data both were evaluated on; --force overrides it.
    """
    from models.db import create_engine
    from models.model_management import Promotion, PromotionRefused, promote_model
    from models.registry import ModelRegistry, RegistryError

    cfg = _config(config)
    metric = _primary_metric(cfg, name)

    async def promote() -> Promotion:
        engine = create_engine(cfg.resolved_database_url())
        try:
            return await promote_model(
                ModelRegistry(engine), name, version, force=force, primary_metric=metric
            )
        finally:
            await engine.dispose()

    try:
        done = asyncio.run(promote())
    except PromotionRefused as exc:
        err.print(f"[red]refused:[/red] {escape(str(exc))}")
        raise typer.Exit(1) from exc
    except RegistryError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from exc
    if done.gate is not None:
        label = "forced past the gate" if done.forced else "gate"
        err.print(f"{label}: {escape(done.gate.reason)}")
    console.print(f"{name} {version} is now in production")


@models_app.command("rollback")
def models_rollback(
    name: Annotated[str, typer.Argument()],
    config: ConfigOption = None,
) -> None:
    """Put back the production version the current one replaced (the current is archived)."""
    from models.db import create_engine
    from models.model_management import Promotion, rollback_model
    from models.registry import ModelRegistry, RegistryError

    cfg = _config(config)

    async def rollback() -> Promotion:
        engine = create_engine(cfg.resolved_database_url())
        try:
            return await rollback_model(ModelRegistry(engine), name)
        finally:
            await engine.dispose()

    try:
        done = asyncio.run(rollback())
    except RegistryError as exc:
        err.print(f"[red]{escape(str(exc))}[/red]")
        raise typer.Exit(1) from exc
    console.print(
        f"{name} {done.production.version} is in production again ({done.previous} archived)"
    )


def _register_optional() -> None:
    """Commands owned by other packages' teams register themselves here."""
    for module_name, args in (
        ("chorus.commands.compose", (app,)),
        ("chorus.commands.new", (new_app,)),
    ):
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            continue
        module.register(*args)


_register_optional()
