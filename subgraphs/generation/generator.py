"""The causal LM behind generative replies, served by the kit (registry, batching, hot swaps).

It is optional: without a production version (or with generation switched off)
the subgraph answers from templates and retrieval. A job carries the generator
it was prompted for, so a job queued before a swap still runs on that one.
"""

from __future__ import annotations

from models.generation.generator import CausalGenerator, GenerationResult
from models.generation.responder import GenerationJob, run_jobs
from subgraphs.generation.settings import GenerationSettings
from subgraphs.kit import Artifact, ServedModel

GeneratorModel = ServedModel[CausalGenerator, GenerationJob, GenerationResult]


def served_generator(settings: GenerationSettings) -> GeneratorModel:
    s = settings

    def load(artifact: Artifact) -> CausalGenerator:
        # A registered version is named as the registry names it; a bare directory by its card.
        ref = artifact.model if artifact.from_registry else None
        return CausalGenerator.load(
            artifact.path,
            threads=s.torch_threads,
            name=ref.name if ref else None,
            version=ref.version if ref else None,
        )

    return ServedModel(
        s.generation_model_name,
        load=load,
        predict=lambda _serving, jobs: run_jobs(jobs),  # each job runs on its own generator
        warm_up=CausalGenerator.warm_up,
        max_batch_size=s.generation_max_batch_size,
        max_queue=s.generation_max_queue,
        sort_key=lambda job: len(job.request.prompt),
        path=s.generation_model_dir,
        poll_s=s.generation_model_poll_s,
        required=False,
        database_url=s.resolved_database_url(),
        monitor=False,  # the responder records each reply with the guard's verdict
    )


class ServedGenerator:
    """The responder's view of the served model (`models.generation.responder.GeneratorSource`)."""

    def __init__(self, served: GeneratorModel) -> None:
        self.served = served

    @property
    def current(self) -> CausalGenerator | None:
        return self.served.model

    async def generate(self, job: GenerationJob) -> GenerationResult:
        return (await self.served(job)).output
