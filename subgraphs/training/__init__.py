"""The training subgraph: training jobs run by worker processes, and model management.

`Mutation.startTraining` queues a durable job (store.py) that the dispatcher
(dispatcher.py) hands to a worker process (worker.py, job_runner.py); progress is
written to the job's row and streamed by `Subscription.trainingJob`. `models`,
`promoteModel` (through the evaluation gate) and `rollbackModel` are
`models.model_management`, the code `chorus models` runs. See docs/training.md.
"""
