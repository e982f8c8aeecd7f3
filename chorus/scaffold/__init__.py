"""`chorus new subgraph`: a scaffold composed of features (see plan.py).

`SubgraphPackage` (the package, its tests, chorus.yaml), `ModelFeature` (a trainable
model served by the kit, its trainer plugin and data), `TableFeature` (a table, its
migration history and a resolver writing to it), `EntityExtension` (a field on
another team's entity with `@requires`) and `Deploy` (compose, Kubernetes,
Prometheus, the committed supergraph) each add code and edits to one `Plan`,
which is checked in full before anything is written.
"""

from chorus.scaffold.deploy import Deploy
from chorus.scaffold.errors import ScaffoldError
from chorus.scaffold.extends import EntityExtension
from chorus.scaffold.model import ModelFeature
from chorus.scaffold.package import SubgraphPackage
from chorus.scaffold.plan import Context, Feature, Plan, Slots, context, plan_subgraph, write_plan
from chorus.scaffold.table import TableFeature

__all__ = [
    "Context",
    "Deploy",
    "EntityExtension",
    "Feature",
    "ModelFeature",
    "Plan",
    "ScaffoldError",
    "Slots",
    "SubgraphPackage",
    "TableFeature",
    "context",
    "plan_subgraph",
    "write_plan",
]
