"""GATEWAY_CMD for the federation gateway audit, with supergraphs composed by Chorus.

The audit hands every suite's supergraph (composed by Apollo) in $SUPERGRAPH. This
script keeps only the subgraph names and URLs of its `join__Graph` enum, asks each
subgraph for `_service { sdl }`, composes them with `router.compose`, and then
becomes `python -m router` on the result. Not a test; run it through the audit:

    AUDIT_GIT_DIR=/work/.mirror/graphql-hive+federation-gateway-audit/repo \\
    WORK_DIR=/tmp/audit-ours GATEWAY_PORT=5200 SUBGRAPHS_PORT=5250 \\
    GATEWAY_CMD='.venv/bin/python tests/router/compose/audit_gateway_ours.py' \\
      bash ../shared/tools/run-audit.sh          # (with the absolute path of this file)

A composition error is printed (code: message) and the script exits 1, so that
suite fails: the figure measures our composer, not a fallback.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import httpx
from graphql import EnumTypeDefinitionNode, parse, value_from_ast_untyped

from router.compose import SubgraphSource, compose
from router.compose.config import fetch_sdl


def subgraphs_of(supergraph_sdl: str) -> list[tuple[str, str]]:
    """(name, url) of every `join__Graph` value, in order."""
    doc = parse(supergraph_sdl)
    found: list[tuple[str, str]] = []
    for definition in doc.definitions:
        if (
            isinstance(definition, EnumTypeDefinitionNode)
            and definition.name.value == "join__Graph"
        ):
            for value in definition.values or ():
                for directive in value.directives or ():
                    if directive.name.value != "join__graph":
                        continue
                    args = {
                        a.name.value: value_from_ast_untyped(a.value)
                        for a in directive.arguments or ()
                    }
                    found.append((str(args["name"]), str(args["url"])))
    return found


def main() -> int:
    original = Path(os.environ["SUPERGRAPH"])
    port = os.environ.get("GATEWAY_PORT", "4000")
    with httpx.Client(timeout=30.0) as client:
        sources = [
            SubgraphSource(name, url, fetch_sdl(url, client))
            for name, url in subgraphs_of(original.read_text())
        ]
    result = compose(sources)
    if result.supergraph_sdl is None:
        print(f"[ours] {original.name}: composition failed", file=sys.stderr)
        for error in result.errors:
            print(f"[ours] {error.code}: {error.message}", file=sys.stderr)
        return 1
    ours = original.with_suffix(".ours.graphql")
    ours.write_text(result.supergraph_sdl)
    print(f"[ours] composed {len(sources)} subgraphs into {ours}", file=sys.stderr)
    argv = [sys.executable, "-m", "router", "--supergraph", str(ours), "--port", port]
    os.execv(sys.executable, argv)  # the audit's SIGTERM must reach the router itself
    return 0  # not reached


if __name__ == "__main__":
    sys.exit(main())
