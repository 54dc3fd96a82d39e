"""Test configuration: hypothesis profiles.

Locally every run explores new random examples (and replays the failures it saved). In CI
(``CI`` set in the environment) the examples are derandomized, so that a submission's CI
result depends on the code alone; bugs are hunted by the local runs.
"""

import os

from hypothesis import settings

settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
settings.register_profile("dev", print_blob=True)
settings.load_profile("ci" if os.environ.get("CI") else "dev")
