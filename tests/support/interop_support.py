"""Shared by the interop tests: PyTorch on one thread while they run.

The tests push tiny tensors through torch thousands of times; with two threads every
call waits for the second core, which other work may hold (a 6 ms call instead of
0.03 ms on a busy machine). The fixture restores torch's setting afterwards.
"""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_torch_thread():
    """Run the module's tests with ``torch.set_num_threads(1)``, then restore the previous count."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
