"""The deploy entries of a new subgraph, as the project's existing subgraphs have them.

In `docker/` (each file only when the project has it): a health-gated compose
service, which every service waiting for all subgraphs (the router) now waits for
too; the `docker/supergraph.yaml` entry; the port in the image's `EXPOSE`; a
Kubernetes manifest (Deployment, Service, HorizontalPodAutoscaler, probes) listed
in the kustomization; the Prometheus scrape target. The models the subgraph
declares (chorus.yaml `models:`, e.g. from `--model`) are trained into the image
(a `chorus train NAME` in the Dockerfile's build-time training), and its pod waits
until they are registered (the init container's `--model NAME`). After the write,
`docker/build_supergraph.py` composes the committed `docker/k8s/supergraph.graphql`
again, which also proves that the new subgraph composes with the others.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import yaml

from chorus.scaffold.errors import ScaffoldError
from chorus.scaffold.plan import Context, Plan, Slots, load_mapping, render
from chorus.scaffold.project_python import run_python
from chorus.scaffold.yaml_text import (
    add_mapping_entry,
    add_sequence_item,
    insert,
    lines_of,
    locate,
)

COMPOSE = "docker/compose.yaml"
DOCKER_SUPERGRAPH_YAML = "docker/supergraph.yaml"
DOCKERFILE = "docker/Dockerfile"
KUSTOMIZATION = "docker/k8s/kustomization.yaml"
PROMETHEUS = "docker/observability/prometheus.yml"
BUILD_SUPERGRAPH = "docker/build_supergraph.py"
COMMITTED_SUPERGRAPH = "docker/k8s/supergraph.graphql"


class Deploy:
    """Compose, Kubernetes, Prometheus and image entries, and the recomposed supergraph."""

    def contribute(self, ctx: Context, slots: Slots) -> None:
        pass

    def apply(self, ctx: Context, slots: Slots, plan: Plan) -> None:
        if not (ctx.root / "docker").is_dir():
            return
        models = list(slots.config.get("models") or {})
        _compose(ctx, plan)
        _docker_supergraph(ctx, plan)
        _dockerfile(ctx, plan, models)
        _kubernetes(ctx, plan, models)
        _prometheus(ctx, plan)
        script, committed = ctx.root / BUILD_SUPERGRAPH, ctx.root / COMMITTED_SUPERGRAPH
        if script.is_file() and committed.is_file():
            plan.update(committed, committed.read_text())  # restored if composing fails
            plan.after_write.append(_recompose)


def _file(ctx: Context, plan: Plan, rel: str) -> Path | None:
    path = ctx.root / rel
    if not path.is_file():
        plan.notes.append(f"skipped      {rel} (the project has none)")
        return None
    return path


def _deployed(ctx: Context, names: Any, where: str) -> list[str]:
    """The existing subgraphs that `names` lists, in chorus.yaml order (at least one)."""
    deployed = [n for n in ctx.existing_subgraphs if n in names]
    if not deployed:
        raise ScaffoldError(
            f"{where} has no entry for any subgraph of chorus.yaml to model "
            f"{ctx.name}'s on; add {ctx.name} there by hand"
        )
    return deployed


def _compose(ctx: Context, plan: Plan) -> None:
    path = _file(ctx, plan, COMPOSE)
    if path is None:
        return
    text = plan.text(path)
    data = load_mapping(text, path)
    services = data.get("services") or {}
    if ctx.name in services:
        raise ScaffoldError(f"{COMPOSE} already has a service named {ctx.name!r}")
    model = _deployed(ctx, services, COMPOSE)[-1]
    anchor, base = _merged_anchor(text, data, model)
    block = render(
        "deploy/compose-service.yaml.tmpl",
        {"name": ctx.name, "port": str(ctx.port), "anchor": anchor},
    )
    own = yaml.safe_load("\n".join(line for line in block.splitlines() if "<<:" not in line))
    service = {**base, **own[ctx.name]}

    def expect(wanted: Any) -> None:
        wanted["services"][ctx.name] = service

    def new_lines(indent: str) -> list[str]:
        return [indent + line if line.strip() else line for line in lines_of(block)]

    by_hand = f"under `services`:\n{block}"
    text = insert(text, ["services"], new_lines, expect, after=model, by_hand=by_hand)
    # whatever waits for every subgraph (the router) waits for this one too
    deployed = _deployed(ctx, services, COMPOSE)
    for waiter, spec in services.items():
        depends = spec.get("depends_on") if isinstance(spec, dict) else None
        if waiter in ctx.existing_subgraphs or not isinstance(depends, dict):
            continue
        if all(n in depends for n in deployed):
            text = add_mapping_entry(
                text,
                ["services", waiter, "depends_on"],
                ctx.name,
                depends[deployed[-1]],
                after=deployed[-1],
            )
    plan.update(path, text)


def _merged_anchor(text: str, data: dict[str, Any], model: str) -> tuple[str, dict[str, Any]]:
    """The anchor the model service merges (`<<: *name`) and the mapping it stands for."""
    lines = lines_of(text)
    try:
        block = locate(lines, ["services", model])
    except KeyError:
        block = None
    merge = None
    if block is not None:
        merge = next(
            (
                m
                for line in lines[block.head : block.end]
                if (m := re.search(r"<<:\s*\*(\S+)", line))
            ),
            None,
        )
    if merge is None:
        raise ScaffoldError(
            f"{COMPOSE}: service {model} merges no shared anchor (`<<: *...`) to copy; "
            "add the new service by hand"
        )
    anchor = merge.group(1)
    definition = re.compile(rf"^([\w.-]+):\s*&{re.escape(anchor)}\s*(#.*)?$")
    key = next((m.group(1) for line in lines if (m := definition.match(line.rstrip("\n")))), None)
    if key is None or not isinstance(data.get(key), dict):
        raise ScaffoldError(f"{COMPOSE}: the anchor &{anchor} is not a top-level mapping")
    return anchor, data[key]


def _docker_supergraph(ctx: Context, plan: Plan) -> None:
    path = _file(ctx, plan, DOCKER_SUPERGRAPH_YAML)
    if path is None:
        return
    text = plan.text(path)
    entries = load_mapping(text, path).get("subgraphs") or {}
    if ctx.name in entries:
        raise ScaffoldError(f"{DOCKER_SUPERGRAPH_YAML} already has a subgraph named {ctx.name!r}")
    url = f"http://{ctx.name}:{ctx.port}/graphql"  # the compose service and the k8s Service
    entry = {"routing_url": url, "schema": {"subgraph_url": url}}
    plan.update(path, add_mapping_entry(text, "subgraphs", ctx.name, entry))


def _dockerfile(ctx: Context, plan: Plan, models: list[str]) -> None:
    """The port joins the `EXPOSE` line that lists the subgraphs' ports; each model gets a
    `chorus train NAME` after the image's last one (the build-time training)."""
    path = _file(ctx, plan, DOCKERFILE)
    if path is None:
        return
    lines = lines_of(plan.text(path))
    if models:
        _train_at_build(lines, models, plan)
    ports = {str(sub.get("port")) for sub in ctx.existing_subgraphs.values()}
    expose = re.compile(r"^EXPOSE\s+(.*?)\s*$")
    found = [
        i for i, line in enumerate(lines) if (m := expose.match(line)) and ports & set(m[1].split())
    ]
    if not found:
        plan.notes.append(f"skipped      {DOCKERFILE} (no EXPOSE line lists the subgraph ports)")
        return
    line = lines[found[-1]].rstrip("\n")
    lines[found[-1]] = f"{line} {ctx.port}\n"
    plan.update(path, "".join(lines))


_TRAIN = re.compile(r"^(\s*&&\s*)chorus train (\S+).*\\\s*$")


def _train_at_build(lines: list[str], models: list[str], plan: Plan) -> None:
    """Insert `&& chorus train NAME \\` after the last such line of a RUN chain."""
    found = [(i, m) for i, line in enumerate(lines) if (m := _TRAIN.match(line))]
    if not found:
        names = ", ".join(models)
        plan.notes.append(
            f"skipped      {DOCKERFILE} (no `chorus train` line to add {names} to: "
            "train it at build time by hand)"
        )
        return
    trained = {m[2] for _, m in found}
    last, match = found[-1]
    new = [f"{match[1]}chorus train {name} \\\n" for name in models if name not in trained]
    lines[last + 1 : last + 1] = new


def _wait_args(models: list[str]) -> str:
    """The init container's arguments: migrations at head and the models registered."""
    args = ["wait", *(a for name in models for a in ("--model", name)), "--timeout", "900"]
    return json.dumps(args)


def _kubernetes(ctx: Context, plan: Plan, models: list[str]) -> None:
    path = _file(ctx, plan, KUSTOMIZATION)
    if path is None:
        return
    text = plan.text(path)
    resources = load_mapping(text, path).get("resources") or []
    files = {f"{n}.yaml": n for n in ctx.existing_subgraphs}
    manifest = f"{ctx.name}.yaml"
    if manifest in resources:
        raise ScaffoldError(f"{KUSTOMIZATION} already lists {manifest}")
    listed = _deployed(ctx, [files[r] for r in resources if r in files], KUSTOMIZATION)
    model_file = f"{listed[-1]}.yaml"
    image = _image(path.parent / model_file, listed[-1])
    values = {
        "name": ctx.name,
        "port": str(ctx.port),
        "image": image,
        "wait_args": _wait_args(models),
    }
    plan.create(path.parent / manifest, render("deploy/k8s-subgraph.yaml.tmpl", values))
    text = add_sequence_item(
        text, ["resources"], f"- {manifest}\n", manifest, after=resources.index(model_file)
    )
    plan.update(path, text)


def _image(manifest: Path, name: str) -> str:
    """The image the model subgraph's Deployment runs (every Chorus service runs one image)."""
    for doc in yaml.safe_load_all(manifest.read_text()):
        if isinstance(doc, dict) and doc.get("kind") == "Deployment":
            return str(doc["spec"]["template"]["spec"]["containers"][0]["image"])
    raise ScaffoldError(f"{manifest.name} has no Deployment for {name} to copy the image from")


def _prometheus(ctx: Context, plan: Plan) -> None:
    """A target next to the subgraphs' in the job that scrapes them."""
    path = _file(ctx, plan, PROMETHEUS)
    if path is None:
        return
    text = plan.text(path)
    jobs = load_mapping(text, path).get("scrape_configs") or []
    for j, job in enumerate(jobs):
        statics = job.get("static_configs") or []
        services = [(s.get("labels") or {}).get("service") for s in statics]
        if ctx.name in services:
            raise ScaffoldError(f"{PROMETHEUS} already scrapes a service {ctx.name!r}")
        subgraph_items = [i for i, s in enumerate(services) if s in ctx.existing_subgraphs]
        if subgraph_items:
            item = render(
                "deploy/prometheus-target.yaml.tmpl", {"name": ctx.name, "port": str(ctx.port)}
            )
            target = yaml.safe_load(item)[0]
            text = add_sequence_item(
                text,
                ["scrape_configs", j, "static_configs"],
                item,
                target,
                after=subgraph_items[-1],
            )
            plan.update(path, text)
            return
    _deployed(ctx, [], PROMETHEUS)  # raises: no job scrapes the subgraphs


def _recompose(plan: Plan) -> str:
    """Compose docker/k8s/supergraph.graphql with the new subgraph, as the project does."""
    run_python(plan.root, [BUILD_SUPERGRAPH], f"composing {COMMITTED_SUPERGRAPH} with {plan.name}")
    return f"composed     {COMMITTED_SUPERGRAPH} (python {BUILD_SUPERGRAPH})"
