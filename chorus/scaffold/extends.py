"""`--extends TYPE [--requires FIELD]...`: the new subgraph adds a field to another team's entity.

The schema gets a stub of the entity (its `@key` fields, the required fields as
`@external`), a field computed from them with `@requires`, and a `resolve_reference`
that refuses a representation lacking them; the test resolves the field through
`_entities`, as the router will. Key and field types come from the subgraphs' SDL.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from chorus.scaffold.entities import Entity, EntityField, find_entity, python_literal
from chorus.scaffold.errors import ScaffoldError
from chorus.scaffold.names import camel, snake
from chorus.scaffold.plan import Context, Plan, Slots, render
from chorus.scaffold.sdl_probe import subgraph_sdls

FIELD_PATTERN = r"^[a-z][A-Za-z0-9]*$"


class EntityExtension:
    """A field `field` on `entity`, computed from its required (or key) fields."""

    def __init__(self, entity: Entity, field: str, *, model: bool = False) -> None:
        self.entity = entity
        self.field = field
        self.model = model  # computed by the `--model` feature's model

    @classmethod
    def read(
        cls,
        ctx: Context,
        type_name: str,
        requires: Sequence[str],
        field: str | None,
        *,
        model: bool = False,
    ) -> EntityExtension:
        """Look `type_name` up in the SDL of the project's subgraphs (their app factories)."""
        field = field or camel(ctx.name)
        if not re.match(FIELD_PATTERN, field):
            raise ScaffoldError(f"--field {field!r}: a GraphQL field name in camelCase")
        if type_name == ctx.values["type_name"]:
            raise ScaffoldError(f"{type_name} is the type this subgraph creates")
        if not ctx.existing_subgraphs:
            raise ScaffoldError("chorus.yaml has no subgraph whose entity could be extended")
        sdls = subgraph_sdls(ctx.root)
        return cls(find_entity(sdls, type_name, requires, field), field, model=model)

    def contribute(self, ctx: Context, slots: Slots) -> None:
        values = self._values(ctx)
        slots.schema_imports |= {"from typing import Any", "import strawberry"}
        folder = "subgraph/model" if self.model else "subgraph"
        slots.schema_code.append(render(f"{folder}/extends.py.tmpl", values))
        slots.schema_types.append(self.entity.type_name)
        if self.model:
            slots.test_imports.add(f"from {ctx.package_name}.model import MODEL_NAME")
        else:
            slots.test_imports.add(f"from {ctx.package_name} import schema")
        slots.test_code.append(render(f"{folder}/test_extends.py.tmpl", values))
        if self.model:
            slots.router_test_imports |= {
                "import strawberry",
                "from subgraphs.kit import create_app as kit_app",
            }
            slots.router_test_code.append(
                render("subgraph/model/test_router_extends.py.tmpl", values)
            )

    def apply(self, ctx: Context, slots: Slots, plan: Plan) -> None:
        pass

    def _values(self, ctx: Context) -> dict[str, str]:
        entity = self.entity
        field_py = snake(self.field)
        inputs = entity.required or entity.key_fields
        every = (*entity.key_fields, *entity.required)
        compute = f"compute_{field_py}"
        requires = ", ".join(f'"{f.name}"' for f in entity.required)
        return {
            "name": ctx.name,
            "pascal": ctx.values["pascal"],
            "model_input": _model_input(inputs),
            "owner": entity.owner,
            "type_name": entity.type_name,
            "type_snake": snake(entity.type_name),
            "key": entity.key,
            "key_literal": f'"{entity.key}"',
            "field": self.field,
            "field_py": field_py,
            "compute": compute,
            "fields_const": f"_{snake(entity.type_name).upper()}_FIELDS",
            "params": "".join(f"    {snake(f.name)}: {f.python_type},\n" for f in inputs),
            "inputs_doc": ("required" if entity.required else "key") + " fields",
            "fstring": ", ".join(f"{{{snake(f.name)}!r}}" for f in inputs),
            "call_args": "".join(f"            self.{snake(f.name)},\n" for f in inputs),
            "sample_args": "".join(f"        {python_literal(f.sample)},\n" for f in inputs),
            "representation_names": "".join(f'    "{f.name}",\n' for f in every),
            "attributes": "".join(_attribute(f, external=f in entity.required) for f in every),
            "requires_line": f"        requires=[{requires}],\n" if entity.required else "",
            "constructor": "".join(
                f'            {snake(f.name)}=representation["{f.name}"],\n' for f in every
            ),
            "representation_items": "".join(
                f'        "{f.name}": {python_literal(f.sample)},\n' for f in every
            ),
            "expected_items": "".join(
                f'        "{f.name}": {python_literal(f.sample)},\n' for f in entity.key_fields
            ),
            "selection": "".join(
                f"                  {n}\n"
                for n in (*(f.name for f in entity.key_fields), self.field)
            ),
            "first_field": every[0].name,
            "owner_attributes": "".join(_attribute(f, external=False) for f in every),
            "owner_constructor": "".join(
                f"                {snake(f.name)}={python_literal(f.sample)},\n" for f in every
            ),
        }


def _model_input(inputs: Sequence[EntityField]) -> str:
    """The text the model reads: one string field as it is, else the fields' values joined."""
    if len(inputs) == 1 and inputs[0].python_type == "str":
        return f"self.{snake(inputs[0].name)}"
    values = ", ".join(f"self.{snake(f.name)}" for f in inputs) + ("," if len(inputs) == 1 else "")
    return f'" ".join(str(v) for v in ({values}) if v is not None)'


def _attribute(field: EntityField, *, external: bool) -> str:
    """One attribute line of the stub (with the GraphQL name where strawberry would differ)."""
    py = snake(field.name)
    options = ["external=True"] if external else []
    if camel(py) != field.name:
        options.insert(0, f'name="{field.name}"')
    if not options:
        return f"    {py}: {field.python_type}\n"
    return f"    {py}: {field.python_type} = strawberry.federation.field({', '.join(options)})\n"
