"""The concierge's conversational subgraphs, the training subgraph and a router with JWT
auth as real processes, on a small NLU training set (a job trains in seconds).

`FeedbackStack` writes a chorus.yaml (nlu on `SMALL_NLU`, dialogue and template-only
generation on the concierge's domain, training), migrates, trains the first NLU version
with `chorus train nlu` (production, as a first `chorus dev` would), serves each subgraph
with `chorus subgraph`, and a router that checks tokens, propagates `authorization` to
the training subgraph (so a correction records who made it) and serves the chat page.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import yaml

from tests.helpers.process_stack import ProcessStack, wait_http
from tests.helpers.stacks import REPO, child_env, free_port

# Four intents, a few sentences each: the model learns them in a few epochs. There is no
# ask_location: the sentences asking where the venue is are what users correct.
SMALL_NLU = """version: "1"
nlu:
  - intent: greet
    examples: |
      - hi
      - hello
      - hey there
      - good morning
      - hello there
      - hiya
  - intent: goodbye
    examples: |
      - bye
      - goodbye
      - see you later
      - bye bye
      - have a nice day
      - talk to you later
  - intent: book_table
    examples: |
      - book a table for [two](party_size)
      - i want a table for [4](party_size) people
      - reserve a table for [six](party_size)
      - can i book a table
      - table for [three](party_size) please
      - i need a reservation for [2](party_size)
  - intent: ask_hours
    examples: |
      - when are you open
      - what are your opening hours
      - are you open on sunday
      - what time do you close
      - opening times please
      - how late are you open
"""
NLU_PARAMS = {"epochs": 8, "threads": 1}
SUBGRAPHS = ("nlu", "dialogue", "generation", "training")
CONCIERGE_DOMAIN = "apps.concierge:data/domain.yml"


class FeedbackStack(ProcessStack):
    def __init__(self, folder: Path) -> None:
        env = child_env(folder)
        env.update(
            CHORUS_MODEL_POLL_S="0.2",  # serving subgraphs follow promotions quickly
            CHORUS_TRAINING_POLL_S="0.1",
            CHORUS_TRAINING_HEARTBEAT_S="0.2",
            CHORUS_TORCH_THREADS="1",
            CHORUS_LOG_FORMAT="text",
        )
        super().__init__(folder, env)
        self.ports = {name: free_port() for name in SUBGRAPHS}
        data = folder / "small_nlu.yml"
        data.write_text(SMALL_NLU)
        self.data_dir = folder / "data"
        self.data_dir.mkdir(parents=True, exist_ok=True)
        entries: dict[str, dict[str, Any]] = {
            "nlu": {
                "app": "subgraphs.nlu.app:create_app",
                "models": {"nlu": {"trainer": "models.nlu.trainer:TRAINER", "data": str(data)}},
            },
            "dialogue": {
                "app": "subgraphs.dialogue.app:create_app",
                "env": {
                    "CHORUS_DIALOGUE_DOMAIN": CONCIERGE_DOMAIN,
                    "CHORUS_DIALOGUE_EXTENSIONS": "apps.concierge.dialogue:extension",
                },
            },
            "generation": {
                "app": "subgraphs.generation.app:create_app",
                "env": {
                    "CHORUS_GENERATION_DOMAIN": CONCIERGE_DOMAIN,
                    "CHORUS_GENERATION_GENERATIVE": "false",
                },
            },
            "training": {"app": "subgraphs.training.app:create_app"},
        }
        entries["nlu"]["models"]["nlu"]["params"] = dict(NLU_PARAMS)
        for name, entry in entries.items():
            entry["port"] = self.ports[name]
        config = {
            "data_dir": str(self.data_dir),
            "migrations": ["apps.concierge"],
            "subgraphs": entries,
        }
        self.config = folder / "chorus.yaml"
        self.config.write_text(yaml.safe_dump(config, sort_keys=False))
        self.url = self.env["CHORUS_DATABASE_URL"]

    def start(self) -> None:
        migrated = self.spawn("migrate", "migrate", "--config", str(self.config))
        assert migrated.wait(120) == 0, self.log("migrate")
        first = self.spawn("train", "train", "--config", str(self.config), "nlu")
        assert first.wait(300) == 0, self.log("train")
        for name in SUBGRAPHS:
            self.processes[name] = self.spawn(name, "subgraph", name, "--config", str(self.config))
        for name in SUBGRAPHS:
            wait_http(f"http://127.0.0.1:{self.ports[name]}/ready", self.processes[name], 120)
        # the training subgraph reads the token's subject for the corrections' record
        propagate = {"subgraphs": {"training": [{"propagate": {"named": "authorization"}}]}}
        self.serve_router(
            {name: f"http://127.0.0.1:{self.ports[name]}/graphql" for name in SUBGRAPHS},
            {"traffic": {"headers": propagate}},
            "--static",
            f"/chat={REPO / 'chorus' / 'web' / 'chat'}",
        )

    def post(self, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
        response = httpx.post(
            self.router_url,
            json={"query": query, "variables": variables},
            headers=headers,
            timeout=60,
        )
        assert response.status_code == 200, response.text
        return response.json()

    def data(self, query: str, headers: dict[str, str] | None = None, **variables: Any) -> Any:
        body = self.post(query, headers, **variables)
        assert "errors" not in body, body["errors"]
        return body["data"]
