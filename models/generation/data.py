"""Loading the generation data as one template bank.

The domain file belongs to the application; generation reads only its
`responses:` section and adds the paraphrases the application ships beside it.
Which files those are is configuration (the generation subgraph's settings,
`chorus train generation` options); nothing here knows an application.
"""

from __future__ import annotations

from pathlib import Path

from models.generation.templates import ResponseTemplates

MODEL_NAME = "generation"


def load_templates(domain: str | Path, paraphrases: str | Path | None = None) -> ResponseTemplates:
    """The domain's responses plus the paraphrases for the same actions, if the file exists."""
    templates = ResponseTemplates.from_domain_file(domain)
    if paraphrases is not None and Path(paraphrases).exists():
        templates = templates.with_variants(ResponseTemplates.from_domain_file(paraphrases))
    return templates
