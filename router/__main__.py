"""`python -m router --supergraph FILE [--port N] ...`: an alias of `chorus router`."""

from __future__ import annotations

from router.server.main import main

if __name__ == "__main__":
    main()
