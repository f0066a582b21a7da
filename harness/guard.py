"""Wraps definitions with the real `asl-guard` CLI binary (never a re-implementation)."""
import json
import subprocess
from pathlib import Path

from . import paths
from .runtime_api import FUNCTION_ARN


class WrapError(ValueError):
    """`asl-guard wrap` refused: its exit status and what it wrote on stderr."""

    def __init__(self, code: int, stderr: str):
        super().__init__(f"asl-guard wrap failed ({code}): {stderr}")
        self.code = code
        self.stderr = stderr


def wrap(definition, around, *, through: str | None = None, function: str = FUNCTION_ARN,
         **options) -> dict:
    """`asl-guard wrap - --around ...` on `definition`; returns the result.

    `definition` is a dict or JSON text (given on stdin), or a `Path`: the CLI reads that
    file itself (JSON or YAML) and names it in its errors. `around` is a state name or a
    list of names; `options` become flags (`limit=5` -> `--limit 5`, `max_wait=60` ->
    `--max-wait 60`). A refusal raises `WrapError`.
    """
    source = str(definition) if isinstance(definition, Path) else "-"
    args = [str(paths.binary("asl-guard")), "wrap", source, "--function", function]
    for state in [around] if isinstance(around, str) else around:
        args += ["--around", state]
    if through:
        args += ["--through", through]
    for key, value in options.items():
        args += ["--" + key.replace("_", "-"), str(value)]
    if isinstance(definition, Path):
        text = None
    else:
        text = definition if isinstance(definition, str) else json.dumps(definition)
    done = subprocess.run(args, input=text, capture_output=True, text=True, timeout=60,
                          stdin=subprocess.DEVNULL if text is None else None)
    if done.returncode != 0:
        raise WrapError(done.returncode, done.stderr.strip())
    return json.loads(done.stdout)


def check(definition) -> tuple[int, str]:
    """`asl-guard check -`: (exit code, stdout + stderr)."""
    text = definition if isinstance(definition, str) else json.dumps(definition)
    done = subprocess.run([str(paths.binary("asl-guard")), "check", "-"], input=text,
                          capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout + done.stderr
