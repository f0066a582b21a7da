#!/usr/bin/env python3
"""Wrap benchmark: time of `asl-guard wrap` next to `jq . FILE` on the same file.

Inputs: the largest definition of the shared corpus, and generated definitions of 1,250 to
20,000 states (Tasks with Catch, Choices, a Map), to show that time grows linearly with the
number of states. Prints the median of several runs of each command and their ratio. No
assertion: the figures are for people to read and compare.

Usage: python3 bench/wrap.py [--runs N]   (builds the release binary when it is missing)
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TARGET = os.environ.get("CARGO_TARGET_DIR", "/var/tmp/asl-guard-target")
BINARY = os.path.join(TARGET, "release", "asl-guard")


def generated(states):
    """A definition with `states` states: a chain of Tasks and Choices, with Catches."""
    body = {}
    for i in range(states - 1):
        name, nxt = f"S{i}", f"S{i + 1}"
        if i % 10 == 9:
            body[name] = {"Type": "Choice", "Choices": [
                {"Variable": "$.flag", "BooleanEquals": True, "Next": nxt}], "Default": nxt}
        else:
            body[name] = {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                          "Parameters": {"FunctionName": "f", "Payload.$": "$"},
                          "ResultPath": f"$.r{i}", "Catch": [
                              {"ErrorEquals": ["E"], "Next": f"S{states - 1}"}],
                          "Next": nxt}
    body[f"S{states - 1}"] = {"Type": "Succeed"}
    return {"Comment": f"{states} generated states", "StartAt": "S0", "States": body}


def median_seconds(cmd, runs):
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def largest_corpus_file():
    corpus = os.path.join(ROOT, "..", "shared", "corpus")
    files = [os.path.join(corpus, f) for f in os.listdir(corpus) if f.endswith(".asl.json")]
    for path in sorted(files, key=os.path.getsize, reverse=True):
        try:
            with open(path) as f:
                doc = json.load(f)
        except ValueError:
            continue
        tasks = [n for n, s in doc.get("States", {}).items() if s.get("Type") == "Task"]
        if tasks:
            return path, tasks[len(tasks) // 2], len(doc["States"])
    sys.exit("no usable corpus file")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    if not os.path.exists(BINARY):
        subprocess.run(["cargo", "build", "--release", "-q", "-p", "asl-guard"], cwd=ROOT,
                       check=True, env=dict(os.environ, CARGO_TARGET_DIR=TARGET))
    jq = shutil.which("jq")
    if not jq:
        print("jq is not installed (apt-get install jq); printing asl-guard times only")
    cases = [("corpus: " + os.path.basename(largest_corpus_file()[0])[:40],) + largest_corpus_file()]
    tmp = tempfile.mkdtemp(prefix="asl-guard-bench-")
    for n in (1250, 2500, 5000, 10000, 20000):
        path = os.path.join(tmp, f"gen-{n}.asl.json")
        with open(path, "w") as f:
            json.dump(generated(n), f, indent=2)
        cases.append((f"generated {n} states", path, f"S{n // 2}", n))
    print(f"{'input':<50} {'states':>7} {'bytes':>10} {'wrap ms':>9} {'jq ms':>8} "
          f"{'wrap/jq':>8} {'us/state':>9}")
    for label, path, around, states in cases:
        wrap = median_seconds([BINARY, "wrap", path, "--around", around], args.runs)
        jq_time = median_seconds([jq, ".", path], args.runs) if jq else float("nan")
        print(f"{label:<50} {states:>7} {os.path.getsize(path):>10} {wrap * 1e3:>9.1f} "
              f"{jq_time * 1e3:>8.1f} {wrap / jq_time:>8.2f} {wrap / states * 1e6:>9.2f}")
    shutil.rmtree(tmp)


if __name__ == "__main__":
    main()
