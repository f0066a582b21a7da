#!/usr/bin/env python3
"""Keeps the inputs and outputs tables of terraform/README.md in sync with the code.

    python3 terraform/scripts/readme_tables.py           rewrite the tables in place
    python3 terraform/scripts/readme_tables.py --check   exit 1 if they are stale

The tables sit between `<!-- BEGIN_TF_INPUTS -->` / `<!-- END_TF_INPUTS -->` and
`<!-- BEGIN_TF_OUTPUTS -->` / `<!-- END_TF_OUTPUTS -->`. Before writing, the
script also enforces what the module promises about its interface: every
variable has a description and a concrete type (never `any`), and every output
has a description. Violations exit 2.
"""

from __future__ import annotations

import argparse
import difflib
import json
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcl_lite  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
MARKERS = {
    "INPUTS": ("<!-- BEGIN_TF_INPUTS -->", "<!-- END_TF_INPUTS -->"),
    "OUTPUTS": ("<!-- BEGIN_TF_OUTPUTS -->", "<!-- END_TF_OUTPUTS -->"),
}


def literal(expr: str) -> str:
    """Decodes a quoted string literal; other expressions are returned as written."""
    expr = expr.strip()
    if expr.startswith('"') and expr.endswith('"'):
        return json.loads(expr)
    return expr


def cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def code(text: str) -> str:
    text = re.sub(r"\s+", " ", text.strip())
    text = re.sub(r"([\[{(]) ", r"\1", text)
    text = re.sub(r",?\s*([\]})])", r"\1", text)
    return f"`{cell(text)}`"


def blocks(kind: str) -> list[hcl_lite.Block]:
    found = []
    for path in sorted(ROOT.glob("*.tf")):
        found += hcl_lite.parse(path.read_text()).blocks_of(kind)
    return sorted(found, key=lambda b: b.labels[0])


def lint(variables: list[hcl_lite.Block], outputs: list[hcl_lite.Block]) -> list[str]:
    problems = []
    for v in variables:
        attrs = v.body.attributes
        name = v.labels[0]
        if not literal(attrs.get("description", hcl_lite.Attribute("", "", 0)).expr):
            problems.append(f"variable {name}: no description")
        type_expr = attrs.get("type")
        if type_expr is None:
            problems.append(f"variable {name}: no type")
        elif re.search(r"\bany\b", type_expr.expr):
            problems.append(f"variable {name}: type uses any")
    for o in outputs:
        if not literal(o.body.attributes.get("description", hcl_lite.Attribute("", "", 0)).expr):
            problems.append(f"output {o.labels[0]}: no description")
    return problems


def inputs_table(variables: list[hcl_lite.Block]) -> str:
    rows = [
        "| Name | Description | Type | Default | Required |",
        "|------|-------------|------|---------|:--------:|",
    ]
    for v in variables:
        attrs = v.body.attributes
        default = attrs.get("default")
        rows.append(
            "| {name} | {desc} | {type} | {default} | {req} |".format(
                name=f"`{v.labels[0]}`",
                desc=cell(literal(attrs["description"].expr)),
                type=code(attrs["type"].expr),
                default=code(default.expr) if default else "n/a",
                req="no" if default else "yes",
            )
        )
    return "\n".join(rows)


def outputs_table(outputs: list[hcl_lite.Block]) -> str:
    rows = ["| Name | Description |", "|------|-------------|"]
    for o in outputs:
        desc = cell(literal(o.body.attributes["description"].expr))
        rows.append(f"| `{o.labels[0]}` | {desc} |")
    return "\n".join(rows)


def render(readme: str, tables: dict[str, str]) -> str:
    for key, (begin, end) in MARKERS.items():
        pattern = re.compile(re.escape(begin) + r".*?" + re.escape(end), re.S)
        if not pattern.search(readme):
            raise SystemExit(f"README.md lacks the markers {begin} ... {end}")
        readme = pattern.sub(lambda _: f"{begin}\n{tables[key]}\n{end}", readme)
    return readme


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="fail if README.md is stale")
    args = parser.parse_args()

    variables = blocks("variable")
    outputs = blocks("output")
    problems = lint(variables, outputs)
    if problems:
        for p in problems:
            print(f"readme-tables: {p}", file=sys.stderr)
        return 2

    current = README.read_text()
    wanted = render(current, {"INPUTS": inputs_table(variables), "OUTPUTS": outputs_table(outputs)})
    if args.check:
        if current != wanted:
            sys.stdout.writelines(
                difflib.unified_diff(
                    current.splitlines(True), wanted.splitlines(True), "README.md", "expected"
                )
            )
            print("readme-tables: README.md is stale; run python3 terraform/scripts/readme_tables.py")
            return 1
        print(f"readme-tables: {len(variables)} inputs and {len(outputs)} outputs in sync")
        return 0
    if current != wanted:
        README.write_text(wanted)
        print("readme-tables: README.md updated")
    return 0


if __name__ == "__main__":
    sys.exit(main())
