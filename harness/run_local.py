"""`scripts/run-local.sh`: run your own definition, wrapped, against the real lease Lambda.

Usage: run-local.sh WORKFLOW --around STATE [asl-guard wrap options...] [--input FILE|-]
       [--stub NAME=fail:ERROR|NAME=sleep:SECONDS] [--executions N] [--original]
       [--scale F] [--timeout S]

Exit status: 0 when every execution succeeded, 1 otherwise, 2 on usage errors (a one-line
message on stderr; checked before anything is started).
"""
import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

from .guard import WrapError, wrap
from .local import LocalStepFunctions
from .stubs import StubError


class UsageError(Exception):
    """A mistake in the command line or its files: reported in one line, exit status 2."""


def parse(argv):
    p = argparse.ArgumentParser(prog="run-local.sh", description=__doc__.split("\n")[0])
    p.add_argument("workflow", help="ASL definition, JSON or YAML")
    p.add_argument("--around", action="append", required=True, help="as for asl-guard wrap")
    p.add_argument("--input", help="execution input: a JSON file, or - for stdin")
    p.add_argument("--stub", action="append", default=[],
                   help="NAME=fail:ERROR or NAME=sleep:SECONDS for the Task function NAME")
    p.add_argument("--executions", type=int, default=1, help="how many at once (default 1)")
    p.add_argument("--original", action="store_true", help="also run the unwrapped definition")
    p.add_argument("--scale", type=float, default=0.05, help="factor on Wait/Retry sleeps")
    p.add_argument("--timeout", type=float, default=600, help="seconds per execution")
    return p.parse_known_args(argv)


def wrap_options(wrap_args):
    """`--limit 5 --semaphore x` -> {"limit": "5", "semaphore": "x"} for guard.wrap."""
    options, i = {}, 0
    while i < len(wrap_args):
        flag = wrap_args[i]
        if not flag.startswith("--"):
            raise UsageError(f"unexpected argument {flag!r} (wrap options are pairs such as "
                             "--limit 5)")
        if i + 1 >= len(wrap_args):
            raise UsageError(f"{flag} needs a value")
        options[flag[2:].replace("-", "_")] = wrap_args[i + 1]
        i += 2
    return options


def stub(spec):
    """A stub function for `--stub NAME=fail:ERROR` or `NAME=sleep:SECONDS`."""
    name, _, action = spec.partition("=")
    kind, _, value = action.partition(":")
    if kind == "fail" and name and value:
        def fn(payload):
            raise StubError(value, f"--stub {spec}")
        return name, fn
    if kind == "sleep" and name:
        try:
            seconds = float(value)
        except ValueError:
            seconds = -1.0
        if seconds >= 0:
            def fn(payload):
                time.sleep(seconds)
                return payload
            return name, fn
    raise UsageError(f"--stub {spec!r}: expected NAME=fail:ERROR or NAME=sleep:SECONDS")


def read_input(spec):
    """The execution input named by `--input` (a JSON file, or - for stdin)."""
    if spec is None:
        return {}
    label = f"--input {spec}"
    try:
        text = sys.stdin.read() if spec == "-" else Path(spec).read_text()
    except OSError as e:
        raise UsageError(f"{label}: cannot read: {e.strerror or e}") from None
    try:
        return json.loads(text)
    except ValueError as e:
        raise UsageError(f"{label}: invalid JSON: {e}") from None


def wrap_message(workflow: str, error: WrapError) -> str:
    """One line from the CLI's refusal, naming the workflow file."""
    lines = [line.strip() for line in error.stderr.splitlines() if line.strip()]
    for line in lines:
        if line.startswith("asl-guard: "):  # "asl-guard: FILE: what is wrong"
            return line[len("asl-guard: "):]
    for i, line in enumerate(lines):
        if line.startswith("error: "):  # an option the CLI's parser refused
            tips = [t for t in lines[i + 1:] if t.startswith("tip: ")]
            return "; ".join([f"{workflow}: asl-guard wrap: {line[len('error: '):]}"] + tips)
    return f"{workflow}: asl-guard wrap failed ({error.code}): {lines[0] if lines else ''}"


def load(path: Path):
    """The unwrapped definition (for `--original`), JSON or YAML."""
    try:
        text = path.read_text()
    except OSError as e:
        raise UsageError(f"{path}: cannot read: {e.strerror or e}") from None
    try:
        return yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    except (ValueError, yaml.YAMLError) as e:
        raise UsageError(f"{path}: invalid definition: {' '.join(str(e).split())}") from None


def prepare(args, wrap_args):
    """Everything the run needs, checked before anything starts; raises UsageError."""
    if args.executions < 1:
        raise UsageError(f"--executions {args.executions}: at least 1")
    options = wrap_options(wrap_args)
    stubs = [stub(spec) for spec in args.stub]
    data = read_input(args.input)
    options["format"] = "json"
    path = Path(args.workflow)
    try:
        wrapped = wrap(path, args.around, **options)
    except WrapError as e:
        raise UsageError(wrap_message(args.workflow, e)) from None
    return path, load(path), wrapped, stubs, data


def duration(result) -> str:
    """The execution's own start-to-stop time."""
    return "?" if result.seconds is None else f"{result.seconds:.1f}"


def summary(result):
    print(f"execution {result.arn.rsplit(':', 1)[-1]}: {result.status} "
          f"in {duration(result)} s")
    if result.status == "SUCCEEDED":
        print("  output:", json.dumps(result.output))
    else:
        print(f"  error: {result.error}\n  cause: {result.cause}")
    types = Counter(e["type"] for e in result.events)
    entered = sum(v for k, v in types.items() if k.endswith("StateEntered"))
    print(f"  history: {len(result.events)} events, {entered} state transitions")
    print("   ", ", ".join(f"{k} {v}" for k, v in types.most_common()))


def token_summary(answers) -> str:
    """Answers to task tokens (callback mode): grants, failures, answers to closed tokens."""
    if not answers:
        return "none"
    granted = sum(1 for a in answers if a.accepted and a.kind == "success")
    failures = Counter(a.body.get("error", "?") if isinstance(a.body, dict) else "?"
                       for a in answers if a.accepted and a.kind != "success")
    closed = sum(1 for a in answers if not a.accepted)
    failed = f"{sum(failures.values())} failed"
    if failures:
        failed += " (" + ", ".join(f"{e}: {n}" for e, n in sorted(failures.items())) + ")"
    return f"{granted} granted, {failed}, {closed} refused (token closed)"


def main(argv=None):
    args, wrap_args = parse(sys.argv[1:] if argv is None else argv)
    try:
        path, original, wrapped, stubs, data = prepare(args, wrap_args)
    except UsageError as e:
        print(f"run-local.sh: {e}", file=sys.stderr)
        return 2
    added = json.dumps(wrapped).count('"Comment": "asl-guard/')
    print(f"wrapped {path.name} around {', '.join(args.around)} ({added} guard states added)")
    with LocalStepFunctions(scale=args.scale) as local:
        for name, fn in stubs:
            local.stubs.register(name, fn)
        machine = local.create(wrapped)
        arns = [local.start(machine, data) for _ in range(args.executions)]
        results = [local.wait(arn, args.timeout) for arn in arns]
        for result in results:
            summary(result)
        calls = Counter((c.request.get("action", "reaper"),
                         c.answer.get("status") if isinstance(c.answer, dict) else "error")
                        for c in local.lease_calls)
        print("lease calls:", ", ".join(f"{a} -> {s}: {n}" for (a, s), n in sorted(calls.items())))
        print("token answers:", token_summary(local.token_answers))
        semaphores = {c.request["semaphore"] for c in local.lease_calls
                      if "semaphore" in c.request}
        held = {s: len(local.holders(s)) for s in sorted(semaphores)}
        print("slots still held:", held or "none")
        waiting = {s: len(local.queued(s)) for s in sorted(semaphores) if local.queued(s)}
        print("callback waiters still queued:", waiting or "none")
        if args.original:
            plain = local.run(original, data, args.timeout)
            same = [r.status == plain.status and r.output == plain.output
                    and r.error == plain.error for r in results]
            print(f"original: {plain.status}; wrapped ends the same: {all(same)}")
    return 0 if all(r.status == "SUCCEEDED" for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
