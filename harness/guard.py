"""Wraps definitions with the real `asl-guard` CLI binary (never a re-implementation)."""
import json
import subprocess

from . import paths
from .runtime_api import FUNCTION_ARN


def wrap(definition, around, *, through: str | None = None, function: str = FUNCTION_ARN,
         **options) -> dict:
    """`asl-guard wrap - --around ...` on `definition` (dict or JSON text); returns the result.

    `around` is a state name or a list of names; `options` become flags (`limit=5` ->
    `--limit 5`, `max_wait=60` -> `--max-wait 60`).
    """
    args = [str(paths.binary("asl-guard")), "wrap", "-", "--function", function]
    for state in [around] if isinstance(around, str) else around:
        args += ["--around", state]
    if through:
        args += ["--through", through]
    for key, value in options.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    text = definition if isinstance(definition, str) else json.dumps(definition)
    done = subprocess.run(args, input=text, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:
        raise ValueError(f"asl-guard wrap failed ({done.returncode}): {done.stderr.strip()}")
    return json.loads(done.stdout)


def check(definition) -> tuple[int, str]:
    """`asl-guard check -`: (exit code, stdout + stderr)."""
    text = definition if isinstance(definition, str) else json.dumps(definition)
    done = subprocess.run([str(paths.binary("asl-guard")), "check", "-"], input=text,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr
