"""Router settings from YAML: defaults, precise refusals, the generated reference."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from pydantic import ValidationError

from router.settings import RouterSettings, load_router_settings
from router.settings.reference import render


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "router.yaml"
    p.write_text(text)
    return p


def test_production_is_the_default() -> None:
    s = RouterSettings()
    assert not s.dev
    assert (s.introspection_enabled, s.graphiql_enabled, s.suggestions_enabled) == (False,) * 3
    assert s.csrf_enabled and not s.subgraph_errors_included and not s.limits_warn_only
    d = RouterSettings(dev=True)
    assert d.introspection_enabled and d.graphiql_enabled and d.subgraph_errors_included
    assert not d.csrf_enabled and d.limits_warn_only


def test_yaml_file_loads_with_overrides(tmp_path: Path) -> None:
    path = _write(
        tmp_path,
        """
limits:
  max_depth: 7
traffic:
  subgraphs:
    generation:
      timeout_s: 45
      retry: {enabled: true, max_retries: 1}
  router_timeout_s: 50
  rate_limit: {capacity: 100, interval_s: 1}
security:
  cors:
    origins: [https://app.example.com]
""",
    )
    s = load_router_settings(path, dev=True)
    assert s.dev and s.limits.max_depth == 7
    gen = s.traffic.for_subgraph("generation")
    assert gen.timeout_s == 45 and gen.retry.enabled and gen.retry.max_retries == 1
    assert gen.breaker.enabled  # left out: the `all` value
    assert s.traffic.for_subgraph("nlu").timeout_s is None
    assert s.traffic.rate_limit is not None and s.traffic.rate_limit.capacity == 100


def test_empty_yaml_is_the_defaults(tmp_path: Path) -> None:
    assert load_router_settings(_write(tmp_path, "")) == RouterSettings()


@pytest.mark.parametrize(
    ("text", "needle"),
    [
        ("limits: {max_dept: 3}", "max_dept"),
        ("limits: {max_depth: many}", "max_depth"),
        ("limits: {max_depth: -1}", "max_depth"),
        ("traffic: {router_timeout_s: 10}", "router_timeout_s"),
        ("auth: {jwt: {jwks: []}}", "jwks"),
        ("auth: {jwt: {jwks: [{url: 'https://x', file: '/k.json'}]}}", "exactly one"),
        ("auth: {jwt: {jwks: [{file: '/k.json', algorithms: [none]}]}}", "none"),
        ("persisted_queries: {safelist: true}", "manifest"),
        ("security: {cors: {match_origins: ['(']}}", "match_origins"),
        ("- a\n- b", "mapping"),
    ],
)
def test_invalid_settings_are_refused_precisely(tmp_path: Path, text: str, needle: str) -> None:
    with pytest.raises((ValidationError, ValueError), match=needle):
        load_router_settings(_write(tmp_path, text))


def test_reference_lists_every_default_and_loads_back(tmp_path: Path) -> None:
    text = render()
    for key in ("max_depth: 15", "http_max_request_bytes: 2000000", "router_timeout_s: 60.0"):
        assert key in text
    assert "# Reject free-form operations" in text
    assert load_router_settings(_write(tmp_path, text)) == RouterSettings()
    assert yaml.safe_load(text)["limits"]["max_aliases"] == 30
