"""The training subgraph and a router as real processes, with JWT auth, for tests.

`TrainingStack` writes a chorus.yaml declaring the toy model, migrates, serves the
training subgraph with `chorus subgraph training` and the router with `chorus router`
(supergraph composed from the running subgraph, tokens checked against a JWKS file).
The subgraph can be killed and restarted; the router stays.
"""

from __future__ import annotations

import os
import signal
from pathlib import Path

import yaml

import migrations
from tests.helpers.process_stack import ProcessStack, token, wait_http
from tests.helpers.stacks import child_env, free_port, write_toy_data
from tests.helpers.training_service import MODEL, PAIRS, TOY

__all__ = ["TrainingStack", "pid_alive", "token"]


class TrainingStack(ProcessStack):
    def __init__(self, folder: Path, **training_env: str) -> None:
        env = child_env(folder)
        env.update(
            CHORUS_TRAINING_POLL_S="0.1",
            CHORUS_TRAINING_HEARTBEAT_S="0.2",
            CHORUS_LOG_FORMAT="text",
            **training_env,
        )
        super().__init__(folder, env)
        self.port = free_port()
        data = write_toy_data(folder / "toy.json", PAIRS)
        config = {
            "data_dir": str(folder / "data"),
            "subgraphs": {
                "training": {
                    "app": "subgraphs.training.app:create_app",
                    "port": self.port,
                    "models": {MODEL: {"trainer": TOY, "data": str(data), "params": {"steps": 3}}},
                }
            },
        }
        self.config = folder / "chorus.yaml"
        self.config.write_text(yaml.safe_dump(config, sort_keys=False))
        self.url = self.env["CHORUS_DATABASE_URL"]
        migrations.upgrade(self.url, owners=["subgraphs.training"])

    def start_training(self) -> None:
        training = self.spawn("training", "subgraph", "training", "--config", str(self.config))
        self.processes["training"] = training
        wait_http(f"http://127.0.0.1:{self.port}/ready", training)

    def kill_training(self) -> int:
        """SIGKILL the subgraph (its workers are left to notice); returns its pid."""
        training = self.processes.pop("training")
        training.send_signal(signal.SIGKILL)
        training.wait(10)
        return training.pid

    def start_router(self) -> None:
        self.serve_router({"training": f"http://127.0.0.1:{self.port}/graphql"})


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
