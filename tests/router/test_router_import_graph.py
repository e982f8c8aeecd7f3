"""The router's packages import one way: down the request stages, toward the ground floor.

Every import inside `router/` counts (module level, inside functions, under
`TYPE_CHECKING`), read from the source with `ast`, so a cycle cannot hide in a
function body. Two checks:

- no cycle between sub-packages, at any depth (`router/request/auth` and
  `router/request/limits` as much as `router/http` and `router/request`);
- each top-level package imports only packages of earlier layers in `LAYERS`.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import pytest

ROUTER = Path(__file__).resolve().parents[2] / "router"

#: The allowed order, lowest first: a package may import its own modules and those of
#: earlier layers only. Within a layer, packages do not import each other.
LAYERS: tuple[tuple[str, ...], ...] = (
    # ground floor: anyone may import these
    ("errors", "context", "deadline", "settings", "telemetry"),
    ("supergraph",),  # the supergraph model and the API schema
    ("planner",),  # pure: operation -> QueryPlan
    ("plugins",),  # the plugin interface: hooks and their contexts (stages call them)
    ("compose",),  # beside the serving path: composition (chorus compose)
    # the request stages, last stage first: a stage calls the stages after it
    ("subgraph_call",),  # 4. headers, dedup, breaker, retry, timeout, transport
    ("execution",),  # 3. walk the plan, shape the response
    ("request",),  # 2. persisted queries, documents, limits, authorization, planning
    ("http",),  # 1. read, negotiate, CSRF, body limits, authentication, framing
    # the process: app factory, entry point, server protocol
    ("server",),
    ("__main__",),
)
#: packages of the serving path, which never import composition
SERVING = ("subgraph_call", "execution", "request", "http", "server", "__main__")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROUTER.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    """Every `router...` module `path` imports, relative imports resolved."""
    module = _module_name(path)
    package = module.split(".") if path.name == "__init__.py" else module.split(".")[:-1]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[: len(package) - node.level + 1]
                if node.module:
                    found.add(".".join([*base, node.module]))
                else:  # `from . import x`: x is a module of that package
                    found.update(".".join([*base, a.name]) for a in node.names)
            elif node.module:
                found.add(node.module)
                # `from router.pkg import module` imports router.pkg.module when it is one
                found.update(f"{node.module}.{a.name}" for a in node.names)
    return {m for m in found if m == "router" or m.startswith("router.")}


def _graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in ROUTER.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for name, path in modules.items():
        targets = set()
        for target in _imports(path):
            # the deepest existing module the import names (`router.a.b.Name` -> router.a.b)
            while target not in modules and "." in target:
                target = target.rsplit(".", 1)[0]
            if target in modules and target != name:
                targets.add(target)
        graph[name] = targets
    return graph


def _is_package(name: str) -> bool:
    return (ROUTER.parent / name.replace(".", "/") / "__init__.py").exists()


def _package_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles between sibling sub-packages (and modules beside them), at every depth.

    An edge a.x.m -> a.y.n adds y <- x under their common parent `a`. Cycles made
    only of plain modules inside one package are not reported (that is a module's
    business); any cycle through a sub-package is.
    """
    edges: dict[str, set[str]] = defaultdict(set)
    for src, targets in graph.items():
        for dst in targets:
            s, d = src.split("."), dst.split(".")
            common = 0
            while common < min(len(s), len(d)) and s[common] == d[common]:
                common += 1
            if common >= len(s) or common >= len(d):
                continue  # a package importing its own modules, or a module its package
            a = ".".join(s[: common + 1])
            b = ".".join(d[: common + 1])
            edges[a].add(b)
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                cycle = [*stack[stack.index(nxt) :], nxt]
                if any(_is_package(n) for n in cycle):
                    cycles.append(cycle)
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return cycles


def _top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else parts[0]


def test_no_import_cycle_between_router_packages() -> None:
    cycles = _package_cycles(_graph())
    assert not cycles, "import cycles between router packages:\n" + "\n".join(
        " -> ".join(c) for c in cycles
    )


def test_every_package_has_a_layer() -> None:
    layered = {p for layer in LAYERS for p in layer}
    tops = {_top(m) for m in _graph()} - {"router"}
    assert tops <= layered, f"router packages without a layer in LAYERS: {sorted(tops - layered)}"


def test_imports_point_down_the_layers() -> None:
    rank = {p: i for i, layer in enumerate(LAYERS) for p in layer}
    wrong = []
    for src, targets in _graph().items():
        a = _top(src)
        for dst in targets:
            b = _top(dst)
            if a == b or b == "router":
                continue
            if rank.get(b, len(LAYERS)) >= rank.get(a, -1):
                wrong.append(f"{src} -> {dst}")
            elif a in SERVING and b == "compose":
                wrong.append(f"{src} -> {dst} (the serving path never composes)")
    assert not wrong, "imports against the layer order:\n" + "\n".join(sorted(wrong))


@pytest.mark.parametrize(
    ("modules", "expected"),
    [
        # two sibling packages importing each other, one of them from inside a function
        (
            {
                "router/a/__init__.py": "",
                "router/a/x.py": "from router.b.y import f\n",
                "router/b/__init__.py": "",
                "router/b/y.py": "def f():\n    from router.a import x\n",
            },
            [["router.a", "router.b", "router.a"]],
        ),
        # a longer cycle through a nested package
        (
            {
                "router/s/__init__.py": "",
                "router/s/p/__init__.py": "",
                "router/s/p/m.py": "from router.s.q import n\n",
                "router/s/q/__init__.py": "",
                "router/s/q/n.py": "from router.s import top\n",
                "router/s/top.py": "from ..s.p import m\n",
            },
            [["router.s.p", "router.s.q", "router.s.top", "router.s.p"]],
        ),
        # one way only: no cycle
        (
            {
                "router/a/__init__.py": "",
                "router/a/x.py": "from router.b import y\n",
                "router/b/__init__.py": "",
                "router/b/y.py": "import json\n",
            },
            [],
        ),
    ],
)
def test_the_cycle_check_finds_cycles(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    modules: dict[str, str],
    expected: list[list[str]],
) -> None:
    """The check itself can fail: cycles in a made-up tree are found, one-way imports are not."""
    for rel, text in {"router/__init__.py": "", **modules}.items():
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text(text)
    monkeypatch.setitem(globals(), "ROUTER", tmp_path / "router")
    assert _package_cycles(_graph()) == expected
