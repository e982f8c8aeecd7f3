"""`chorus new subgraph`: a scaffold composed of features (see plan.py).

`SubgraphPackage` (the package, its test, chorus.yaml), `EntityExtension` (a field on
another team's entity with `@requires`) and `Deploy` (compose, Kubernetes,
Prometheus, the committed supergraph) each add code and edits to one `Plan`,
which is checked in full before anything is written.
"""

from chorus.scaffold.deploy import Deploy
from chorus.scaffold.errors import ScaffoldError
from chorus.scaffold.extends import EntityExtension
from chorus.scaffold.package import SubgraphPackage
from chorus.scaffold.plan import Context, Feature, Plan, Slots, context, plan_subgraph, write_plan

__all__ = [
    "Context",
    "Deploy",
    "EntityExtension",
    "Feature",
    "Plan",
    "ScaffoldError",
    "Slots",
    "SubgraphPackage",
    "context",
    "plan_subgraph",
    "write_plan",
]
