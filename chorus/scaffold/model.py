"""`--model`: the subgraph serves a tiny trainable model through the kit's `ServedModel`.

Writes `model.py` (a hashed bag-of-words linear classifier saved with safetensors,
and the `ServedModel` serving it), `trainer.py` (its trainer plugin: train,
evaluate, accuracy as the primary metric) and `data/train.yml` (package data it
trains on); registers the trainer under the subgraph's `models:` in chorus.yaml,
so `chorus train NAME` and the first `chorus dev` train it. The schema gets a
root field whose result carries the model version, `<name>Stats` and the admin
reload mutation; the tests get a trained, registered version.
"""

from __future__ import annotations

from chorus.scaffold.fixtures import use_database
from chorus.scaffold.plan import Context, Plan, Slots, render


class ModelFeature:
    def contribute(self, ctx: Context, slots: Slots) -> None:
        name = ctx.name
        slots.schema_imports |= {
            "import strawberry",
            "from subgraphs.kit import ModelRef, model_stats_field, reload_mutation, user_error",
            f"from subgraphs.{name}.model import MODEL_NAME, classifier",
        }
        slots.schema_defs.append(render("subgraph/model/schema_defs.py.tmpl", ctx.values))
        slots.query_fields.append(render("subgraph/model/query_fields.py.tmpl", ctx.values))
        slots.mutation_fields.append(f"    reload_{name}_model = reload_mutation(classifier)\n")
        slots.app_imports.add(f"from subgraphs.{name}.model import classifier")
        slots.app_arguments.append("models=[classifier]")
        slots.config["models"] = {
            name: {
                "trainer": f"subgraphs.{name}.trainer:TRAINER",
                "data": f"subgraphs.{name}:data/train.yml",
            }
        }
        use_database(ctx, slots)
        slots.fixture_imports |= {
            "import asyncio",
            "from models.db import create_engine",
            "from models.registry import ModelRegistry",
            "from models.resources import resolve",
            "from models.trainers import TrainJob",
            f"from subgraphs.{name}.model import MODEL_NAME",
            f"from subgraphs.{name}.trainer import DATA, TRAINER",
        }
        slots.fixtures.append(render("subgraph/model/fixtures.py.tmpl", ctx.values))
        slots.router_test_code.append(render("subgraph/model/test_router.py.tmpl", ctx.values))

    def apply(self, ctx: Context, slots: Slots, plan: Plan) -> None:
        for template, target in (
            ("model.py", ctx.package / "model.py"),
            ("trainer.py", ctx.package / "trainer.py"),
            ("train.yml", ctx.package / "data" / "train.yml"),
            ("test_model.py", ctx.test_dir / "test_model.py"),
        ):
            plan.create(target, render(f"subgraph/model/{template}.tmpl", ctx.values))
