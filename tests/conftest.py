"""Test configuration: hypothesis profiles, and NumPy's print options kept as NumPy sets them.

Locally every run explores new random examples (and replays the failures it saved). In CI
(``CI`` set in the environment) the examples are derandomized, so that a submission's CI
result depends on the code alone; bugs are hunted by the local runs.

``import odl`` changes NumPy's print options for the whole process (``legacy="1.13"``,
``linewidth=71``); each test starts from NumPy's own, recorded here before any test module
is imported, so that no doctest's output depends on whether a test that imports ODL ran first.
"""

import os

import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

NUMPY_PRINT_OPTIONS = np.get_printoptions()


@pytest.fixture(autouse=True)
def _numpy_print_options():
    np.set_printoptions(**NUMPY_PRINT_OPTIONS)
    yield
    np.set_printoptions(**NUMPY_PRINT_OPTIONS)
