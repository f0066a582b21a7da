"""`scripts/run-local.sh`: run your own definition, wrapped, against the real lease Lambda.

Usage: run-local.sh WORKFLOW --around STATE [asl-guard wrap options...] [--input FILE|-]
       [--stub NAME=fail:ERROR|NAME=sleep:SECONDS] [--executions N] [--original]
       [--scale F] [--timeout S]
"""
import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path

import yaml

from .guard import wrap
from .local import LocalStepFunctions
from .stubs import StubError


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
    args, wrap_args = p.parse_known_args(argv)
    return args, wrap_args


def wrap_options(wrap_args):
    """`--limit 5 --semaphore x` -> {"limit": "5", "semaphore": "x"} for guard.wrap."""
    options, i = {}, 0
    while i < len(wrap_args):
        flag = wrap_args[i]
        if not flag.startswith("--") or i + 1 >= len(wrap_args):
            sys.exit(f"run-local.sh: unexpected argument {flag!r}; wrap options take a value")
        options[flag[2:].replace("-", "_")] = wrap_args[i + 1]
        i += 2
    return options


def stub(spec):
    """A stub function for `--stub NAME=fail:ERROR` or `NAME=sleep:SECONDS`."""
    name, _, action = spec.partition("=")
    kind, _, value = action.partition(":")
    if kind == "fail":
        def fn(payload):
            raise StubError(value, f"--stub {spec}")
    elif kind == "sleep":
        def fn(payload):
            time.sleep(float(value))
            return payload
    else:
        sys.exit(f"run-local.sh: --stub {spec!r}: expected NAME=fail:ERROR or NAME=sleep:S")
    return name, fn


def summary(local, result, started):
    print(f"execution {result.arn.rsplit(':', 1)[-1]}: {result.status} "
          f"in {time.monotonic() - started:.1f} s")
    if result.status == "SUCCEEDED":
        print("  output:", json.dumps(result.output))
    else:
        print(f"  error: {result.error}\n  cause: {result.cause}")
    types = Counter(e["type"] for e in result.events)
    entered = sum(v for k, v in types.items() if k.endswith("StateEntered"))
    print(f"  history: {len(result.events)} events, {entered} state transitions")
    print("   ", ", ".join(f"{k} {v}" for k, v in types.most_common()))


def main(argv=None):
    args, wrap_args = parse(sys.argv[1:] if argv is None else argv)
    path = Path(args.workflow)
    text = path.read_text()
    original = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
    data = {}
    if args.input:
        data = json.load(sys.stdin if args.input == "-" else open(args.input))
    options = wrap_options(wrap_args)
    options["format"] = "json"
    wrapped = wrap(original, args.around, **options)
    added = json.dumps(wrapped).count('"Comment": "asl-guard/')
    print(f"wrapped {path.name} around {', '.join(args.around)} ({added} guard states added)")
    with LocalStepFunctions(scale=args.scale) as local:
        for spec in args.stub:
            local.stubs.register(*stub(spec))
        machine = local.create(wrapped)
        started = time.monotonic()
        arns = [local.start(machine, data) for _ in range(args.executions)]
        results = [local.wait(arn, args.timeout) for arn in arns]
        for result in results:
            summary(local, result, started)
        calls = Counter((c.request.get("action", "reaper"),
                         c.answer.get("status") if isinstance(c.answer, dict) else "error")
                        for c in local.lease_calls)
        print("lease calls:", ", ".join(f"{a} -> {s}: {n}" for (a, s), n in sorted(calls.items())))
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
