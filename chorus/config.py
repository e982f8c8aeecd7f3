"""The stack config: one YAML file names the router, the subgraphs and the database.

Unknown keys are rejected, and every value can be overridden from the
environment with the `CHORUS_` prefix and `__` for nesting, e.g.
`CHORUS_ROUTER__PORT=5000` or `CHORUS_DATABASE_URL=postgresql+asyncpg://...`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_CONFIG = Path("chorus.yaml")
WEB = Path(__file__).resolve().parent / "web"


class ConfigError(Exception):
    """The config file is missing, unreadable or invalid; the message says which key and why."""


class ModelConfig(BaseModel):
    """A model a subgraph serves: its trainer plugin, training data and parameters."""

    model_config = ConfigDict(extra="forbid")

    trainer: str | None = Field(
        default=None,
        description="package.module:ATTRIBUTE of a models.trainers.Trainer; "
        "unset: the one an installed package registers (`chorus.trainers` entry point)",
    )
    data: str | None = Field(
        default=None, description="training data: a path (from this file) or pkg.module:path"
    )
    params: dict[str, Any] = Field(default_factory=dict, description="trainer parameters")


class SubgraphConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    app: str = Field(description="import path of the app factory, module:function")
    port: int = Field(ge=1, le=65535)
    host: str = "127.0.0.1"
    env: dict[str, str] = Field(default_factory=dict, description="extra environment")
    models: dict[str, ModelConfig] = Field(
        default_factory=dict, description="the models it serves, by registry name"
    )
    sdl: str | None = Field(
        default=None,
        description="its schema as an SDL file (path or pkg.module:path), for `chorus compose` "
        "without running it; unset: printed in-process from the app factory",
    )

    @field_validator("app")
    @classmethod
    def _module_colon_function(cls, value: str) -> str:
        if ":" not in value:
            raise ValueError("must look like package.module:function")
        return value

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}/graphql"


class RouterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    host: str = "127.0.0.1"
    port: int = Field(default=4000, ge=1, le=65535)
    supergraph: Path | None = Field(
        default=None, description="a supergraph SDL file; composed from the subgraphs when unset"
    )
    static: dict[str, Path] = Field(
        default_factory=lambda: {"/chat": WEB / "chat"},
        description="URL prefix -> folder of static files the router serves (the chat page); "
        "a path relative to this file, or pkg.module:folder inside a package",
    )
    config: Path | None = Field(
        default=None,
        description="the router's settings file (router.yaml: REST endpoints, limits, auth), "
        "relative to this file; unset: the router's defaults",
    )
    graphiql_query: Path | None = Field(
        default=WEB / "pipeline.graphql", description="the operation GraphiQL opens with"
    )


class ChorusConfig(BaseSettings):
    model_config = SettingsConfigDict(
        extra="forbid", env_prefix="CHORUS_", env_nested_delimiter="__"
    )

    data_dir: Path = Path(".chorus")
    database_url: str | None = None
    router: RouterConfig = Field(default_factory=RouterConfig)
    subgraphs: dict[str, SubgraphConfig] = Field(default_factory=dict)
    migrations: list[str] = Field(
        default_factory=list,
        description="packages besides the subgraphs' whose <package>/migrations/ history"
        " `chorus migrate` runs, after the subgraphs', in this order",
    )
    applications: dict[str, list[str]] = Field(
        default_factory=dict,
        description="named groups of subgraphs that `chorus dev NAME` starts together",
    )
    train_missing_models: bool = Field(
        default=True,
        description="chorus dev trains the started subgraphs' models that have no version",
    )
    _path: Path | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _applications_name_subgraphs(self) -> ChorusConfig:
        for app, members in self.applications.items():
            unknown = [m for m in members if m not in self.subgraphs]
            if unknown:
                raise ValueError(
                    f"application {app!r} lists unknown subgraph(s) {', '.join(unknown)} "
                    f"(subgraphs: {', '.join(self.subgraphs) or 'none'})"
                )
            if app in self.subgraphs:
                raise ValueError(f"application {app!r} has the name of a subgraph")
        return self

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # Environment wins over the file (init kwargs carry the file's content).
        return (env_settings, init_settings)

    @property
    def path(self) -> Path | None:
        """The file this configuration was read from (None when built in code)."""
        return self._path

    @property
    def base_dir(self) -> Path:
        """Where relative paths in the file start: its folder, else the working directory."""
        return self._path.resolve().parent if self._path is not None else Path.cwd()

    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite+aiosqlite:///{(self.data_dir / 'chorus.db').resolve()}"

    def process_env(self) -> dict[str, str]:
        """What every child process needs to agree on the database, artefacts and models."""
        from chorus.trainers import model_specs
        from models.trainer_registry import SPECS_ENV, specs_to_json

        return {
            "CHORUS_DATA_DIR": str(self.data_dir.resolve()),
            "CHORUS_DATABASE_URL": self.resolved_database_url(),
            SPECS_ENV: specs_to_json(model_specs(self)),
        }


def load_config(path: Path | None = None) -> ChorusConfig:
    """Read the YAML file (default ./chorus.yaml), apply env overrides, validate."""
    path = path or Path(os.environ.get("CHORUS_CONFIG", DEFAULT_CONFIG))
    data: dict[str, Any] = {}
    if path.exists():
        try:
            loaded = yaml.safe_load(path.read_text()) or {}
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}") from exc
        if not isinstance(loaded, dict):
            raise ConfigError(f"{path}: the top level must be a mapping")
        data = loaded
    try:
        config = ChorusConfig(**data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc'])}: {err['msg']}" for err in exc.errors()
        )
        raise ConfigError(f"{path}: {problems}") from exc
    config._path = path if path.exists() else None
    return config
