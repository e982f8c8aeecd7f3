"""The generation subgraph's tests run torch on one thread. The fixture domain and the tiny
trained generator they share with tests/models/generation are in tests/conftest.py."""

from __future__ import annotations

import torch

torch.set_num_threads(1)
