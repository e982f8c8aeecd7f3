"""Where the generation data lives, and loading it as one template bank.

The domain file belongs to the dialogue package; generation reads only its
`responses:` section and adds the paraphrases shipped in `data/generation/`.
"""

from __future__ import annotations

from pathlib import Path

from models.generation.templates import ResponseTemplates

REPO = Path(__file__).resolve().parents[2]
DEFAULT_DOMAIN = REPO / "data" / "dialogue" / "concierge.yml"
DEFAULT_PARAPHRASES = REPO / "data" / "generation" / "paraphrases.yml"
DEFAULT_FAQ = REPO / "data" / "generation" / "faq.yml"
MODEL_NAME = "generation"


def load_templates(
    domain: str | Path = DEFAULT_DOMAIN, paraphrases: str | Path | None = DEFAULT_PARAPHRASES
) -> ResponseTemplates:
    """The domain's responses plus the paraphrases for the same actions, if the file exists."""
    templates = ResponseTemplates.from_domain_file(domain)
    if paraphrases is not None and Path(paraphrases).exists():
        templates = templates.with_variants(ResponseTemplates.from_domain_file(paraphrases))
    return templates
