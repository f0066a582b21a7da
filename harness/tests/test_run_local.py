"""`scripts/run-local.sh` (harness/run_local.py) on the bundled examples/order-fanout.asl.json.

The script runs as its own process (`python -m harness.run_local`, what the shell script
execs after building), so its exit status and stderr are the user's, and its
LocalStepFunctions never meets the session one of the other tests (moto's patches are
process-wide).
"""
import json
import os
import re
import subprocess
import sys

import pytest

from harness import paths

WORKFLOW = "examples/order-fanout.asl.json"


def run_local(*args, tmp_path, stdin=None, timeout=60):
    """Runs the script from the repository root; TMPDIR is `tmp_path` (to see what it made)."""
    env = dict(os.environ, PYTHONPATH=str(paths.REPO), TMPDIR=str(tmp_path),
               AWS_EC2_METADATA_DISABLED="true")
    return subprocess.run([sys.executable, "-m", "harness.run_local", *args], cwd=paths.REPO,
                          env=env, input=stdin, capture_output=True, text=True,
                          timeout=timeout)


@pytest.mark.parametrize("args, message", [
    (["--around", "ChargeOrder", "--wait", "callback", "--workflow-type", "express"],
     f"run-local.sh: {WORKFLOW}: invalid --wait: callback cannot be used with "
     "--workflow-type express"),
    (["--around", "Nope"], f"run-local.sh: {WORKFLOW}: no state named 'Nope'"),
    (["--around", "ChargeOrder", "--limt", "5"],
     f"run-local.sh: {WORKFLOW}: asl-guard wrap: unexpected argument '--limt' found"),
    (["--around", "ChargeOrder", "--input", "nonexist.json"],
     "run-local.sh: --input nonexist.json: cannot read"),
    (["--around", "ChargeOrder", "--stub", "charge=sleep:soon"],
     "run-local.sh: --stub 'charge=sleep:soon': expected"),
    (["--around", "ChargeOrder", "--limit"], "run-local.sh: --limit needs a value"),
])
def test_usage_error_exits_2_with_one_line(tmp_path, args, message):
    done = run_local(WORKFLOW, *args, tmp_path=tmp_path, timeout=20)
    print(done.stderr)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(message), done.stderr
    assert "<stdin>" not in done.stderr
    assert done.stdout == "", "it went on after the error"
    assert not list(tmp_path.glob("asl-guard-harness-*")), "a harness was started"


def test_missing_workflow_is_named(tmp_path):
    done = run_local("nonexist.asl.json", "--around", "X", tmp_path=tmp_path, timeout=20)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert done.stderr.startswith("run-local.sh: nonexist.asl.json: cannot read"), done.stderr


@pytest.fixture(scope="module")
def callback_run(tmp_path_factory):
    """Two executions sharing one slot (limit 1), one order of 1 s work each: the second
    waits for the first, so the one granted second runs about 1 s longer."""
    data = {"orders": [{"id": 1, "sleep": 1.0}]}
    done = run_local(WORKFLOW, "--around", "ChargeOrder", "--wait", "callback", "--limit", "1",
                     "--input", "-", "--executions", "2",
                     stdin=json.dumps(data), tmp_path=tmp_path_factory.mktemp("run"))
    print(done.stdout, done.stderr)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_each_execution_reports_its_own_duration(callback_run):
    seconds = sorted(float(s) for s in
                     re.findall(r"^execution \S+: SUCCEEDED in ([\d.]+) s$", callback_run, re.M))
    assert len(seconds) == 2
    first, second = seconds
    # At least the 1 s of work each; the second also waited for the first one's work.
    assert first >= 1.0 and second >= 1.0
    assert second - first >= 0.6, f"durations {seconds}: not each execution's own"


def test_callback_mode_counts_token_answers(callback_run):
    assert "acquire -> queued: 1, release -> released: 2" in callback_run
    # Every acquire is answered through its task token, the immediate one included.
    assert "token answers: 2 granted, 0 failed, 0 refused (token closed)" in callback_run
