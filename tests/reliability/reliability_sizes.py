"""Sizes shared by the reliability suites (importable by name; conftest modules are not)."""

import os

FULL = os.environ.get("RELIABILITY_SCALE") == "full"
FUZZ_EXAMPLES = 400 if FULL else 60
CONCURRENT_JOBS = 200 if FULL else 40
THROTTLES = 5 if FULL else 3
