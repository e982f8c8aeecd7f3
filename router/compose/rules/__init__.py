"""Composition rules, one per module, in the order composition runs them.

Each module exposes `CODE` (Apollo's error code) and `check(ctx)`, returning
the errors it finds. Subgraph rules look at each subgraph alone, merge rules
at what merging found out (`ctx.facts`), supergraph rules at the result.
"""

from __future__ import annotations

from collections.abc import Callable

from ..context import CompositionContext
from ..types import CompositionError
from . import (
    empty_merged_enum_type,
    empty_merged_input_type,
    enum_value_mismatch,
    external_argument_missing,
    external_missing_on_base,
    external_type_mismatch,
    external_unused,
    field_argument_default_mismatch,
    field_argument_type_mismatch,
    field_type_mismatch,
    input_field_default_mismatch,
    interface_object_usage_error,
    invalid_field_sharing,
    invalid_graphql,
    key_fields_has_args,
    key_fields_select_invalid_type,
    key_invalid_fields,
    no_queries,
    override_collision_with_another_directive,
    override_from_self,
    override_source_has_override,
    provides_fields_missing_external,
    provides_invalid_fields,
    provides_on_non_object_field,
    required_argument_missing_in_some_subgraph,
    required_input_field_missing_in_some_subgraph,
    requires_fields_missing_external,
    requires_invalid_fields,
    satisfiability,
    type_kind_mismatch,
    unknown_federation_link_version,
)

Rule = Callable[[CompositionContext], list[CompositionError]]

SUBGRAPH_RULES: list[Rule] = [
    unknown_federation_link_version.check,
    invalid_graphql.check,
    key_invalid_fields.check,
    key_fields_select_invalid_type.check,
    key_fields_has_args.check,
    requires_invalid_fields.check,
    requires_fields_missing_external.check,
    provides_on_non_object_field.check,
    provides_invalid_fields.check,
    provides_fields_missing_external.check,
    external_unused.check,
    override_from_self.check,
    override_collision_with_another_directive.check,
]

MERGE_RULES: list[Rule] = [
    type_kind_mismatch.check,
    field_type_mismatch.check,
    field_argument_type_mismatch.check,
    field_argument_default_mismatch.check,
    input_field_default_mismatch.check,
    external_type_mismatch.check,
    external_argument_missing.check,
    external_missing_on_base.check,
    invalid_field_sharing.check,
    required_argument_missing_in_some_subgraph.check,
    required_input_field_missing_in_some_subgraph.check,
    empty_merged_input_type.check,
    enum_value_mismatch.check,
    empty_merged_enum_type.check,
    override_source_has_override.check,
    interface_object_usage_error.check,
    no_queries.check,
]

SUPERGRAPH_RULES: list[Rule] = [satisfiability.check]
