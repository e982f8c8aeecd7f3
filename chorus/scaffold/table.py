"""`--table`: the subgraph owns a table, its alembic history and a resolver that writes to it.

Writes `tables.py` (the SQLAlchemy table), `store.py` (async reads and writes
through `models.db`, and the start-up check that fails readiness with "run
`chorus migrate`"), and `migrations/` with the first revision, 0001, creating the
table: `chorus migrate` finds the history through the subgraph's `app:` in
chorus.yaml. The schema gets `record<Name>(text)` (with `--model`, it stores
the model's prediction and its version) and `<name>Records(last)`.
"""

from __future__ import annotations

from chorus.scaffold.fixtures import use_database
from chorus.scaffold.plan import Context, Plan, Slots, render

_MODEL_COLUMNS = (
    ("label", "sa.String(128)", "str"),
    ("confidence", "sa.Float", "float"),
    ("model_name", "sa.String(128)", "str"),
    ("model_version", "sa.String(64)", "str"),
)
_SAMPLE = {
    "label": '"positive"',
    "confidence": "0.75",
    "model_name": '"{name}"',
    "model_version": '"1"',
}

_TYPE_VALUES = """\
            label=record.label,
            confidence=record.confidence,
            model=ModelRef(name=record.model_name, version=record.model_version),
"""


class TableFeature:
    def __init__(self, *, model: bool = False) -> None:
        self.model = model  # the records are the `--model` feature's predictions

    def _values(self, ctx: Context, indent: str) -> dict[str, str]:
        columns = _MODEL_COLUMNS if self.model else ()
        samples = {k: v.format(name=ctx.name) for k, v in _SAMPLE.items()}
        return {
            **ctx.values,
            "columns": "".join(
                f'{indent}sa.Column("{c}", {t}, nullable=False),\n' for c, t, _ in columns
            ),
            "record_fields": "".join(f"    {c}: {p}\n" for c, _, p in columns),
            "add_params": (
                "\n        self,\n        text: str,\n        *,\n"
                + "".join(f"        {c}: {p},\n" for c, _, p in columns)
                + "    "
                if columns
                else "self, text: str"
            ),
            "add_values": "".join(f'            "{c}": {c},\n' for c, _, _ in columns),
            "type_fields": (
                "    label: str\n    confidence: float\n    model: ModelRef\n" if columns else ""
            ),
            "type_values": _TYPE_VALUES if columns else "",
            "add_args": ", **PREDICTION" if columns else "",
            "prediction": (
                "\nPREDICTION: dict[str, Any] = {\n"
                + "".join(f'    "{c}": {samples[c]},\n' for c, _, _ in columns)
                + "}\n"
                if columns
                else ""
            ),
            "round_trip_checks": (
                '        assert (newest[0].label, newest[0].model_version) == ("positive", "1")\n'
                if columns
                else ""
            ),
            "model_arg": "\n    model_version: str," if columns else "",
            "model_selection": " label model { name version }" if columns else "",
            "model_check": (
                '    assert record["model"]["version"] == model_version\n' if columns else ""
            ),
        }

    def contribute(self, ctx: Context, slots: Slots) -> None:
        name = ctx.name
        values = self._values(ctx, "    ")
        slots.schema_imports |= {
            "import datetime",
            "import strawberry",
            "from subgraphs.kit import user_error",
            f"from subgraphs.{name}.store import Record, Store",
        }
        if self.model:
            slots.schema_imports.add("from subgraphs.kit import ModelRef")
        slots.schema_defs.append(render("subgraph/table/schema_defs.py.tmpl", values))
        slots.query_fields.append(render("subgraph/table/query_fields.py.tmpl", values))
        mutation = "mutation_model" if self.model else "mutation"
        slots.mutation_fields.append(render(f"subgraph/table/{mutation}.py.tmpl", values))
        slots.app_imports.add(f"from subgraphs.{name}.store import Store")
        slots.app_setup.append("store = Store()")
        slots.app_arguments += [
            'context={"store": store}',
            "on_startup=[store.start]",
            "on_shutdown=[store.stop]",
        ]
        use_database(ctx, slots, history=f"subgraphs.{name}")

    def apply(self, ctx: Context, slots: Slots, plan: Plan) -> None:
        table = self._values(ctx, "    ")
        revision = self._values(ctx, "        ")
        for template, target, values in (
            ("tables.py", ctx.package / "tables.py", table),
            ("store.py", ctx.package / "store.py", table),
            ("migrations_init.py", ctx.package / "migrations" / "__init__.py", table),
            (
                "revision.py",
                ctx.package / "migrations" / f"0001_create_{ctx.name}_records.py",
                revision,
            ),
            ("test_table.py", ctx.test_dir / "test_table.py", table),
        ):
            plan.create(target, render(f"subgraph/table/{template}.tmpl", values))
