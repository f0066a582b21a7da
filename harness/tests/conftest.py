"""Shared fixtures: one LocalStepFunctions for the whole run (moto's patches are global)."""
import os

import pytest

from harness.local import LocalStepFunctions

# The Lambda's cap on retryAfterSeconds; 4 keeps polls frequent enough that a Map of 50 under
# limit 5 finishes quickly while still exercising the Lambda's backoff.
LAMBDA_ENV = {"ASL_GUARD_MAX_RETRY_AFTER_SECONDS": "4"}


@pytest.fixture(scope="session")
def sfn():
    scale = float(os.environ.get("ASL_GUARD_TIME_SCALE", "0.05"))
    with LocalStepFunctions(bootstraps=4, scale=scale, lambda_env=LAMBDA_ENV) as local:
        yield local
