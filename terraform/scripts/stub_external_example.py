#!/usr/bin/env python3
"""Copies examples/complete into OUTDIR with its external data source stubbed out.

hashicorp/external is not available offline, so the example itself cannot be
initialised. The copy replaces the `data "external"` block with a local value
of the same shape, drops the external provider requirement and points the
module source at this checkout, so `terraform validate` can still check the
rest of the example: the module call's arguments, the state machine, the IAM.

    python3 terraform/scripts/stub_external_example.py OUTDIR
"""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import hcl_lite  # noqa: E402

TERRAFORM = Path(__file__).resolve().parent.parent
EXAMPLE = TERRAFORM / "examples" / "complete"


def cut_block(text: str, header: re.Pattern) -> tuple[str, str]:
    """Removes the block whose header matches; returns the text and the block's name."""
    m = header.search(text)
    if not m:
        raise SystemExit(f"stub: no block matching {header.pattern} in examples/complete")
    end = hcl_lite._skip_group(text, m.end() - 1, "{", "}")
    return text[: m.start()] + text[end:], m.group(1)


def main() -> int:
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    out = Path(sys.argv[1])
    if out.exists():
        shutil.rmtree(out)
    shutil.copytree(EXAMPLE, out, ignore=shutil.ignore_patterns(".terraform*"))

    main_tf = (out / "main.tf").read_text()
    main_tf, name = cut_block(main_tf, re.compile(r'^data\s+"external"\s+"([^"]+)"\s*\{', re.M))
    main_tf = main_tf.replace(f"data.external.{name}.result", "local.asl_guard_external_stub")
    main_tf = main_tf.replace('source = "../.."', f'source = "{TERRAFORM.as_posix()}"')
    main_tf += (
        "\n# Stand-in for the asl-guard external data source (validation only).\n"
        'locals {\n  asl_guard_external_stub = { definition = "{}" }\n}\n'
    )
    (out / "main.tf").write_text(main_tf)
    (out / "outputs.tf").write_text(
        (out / "outputs.tf").read_text().replace(
            f"data.external.{name}.result", "local.asl_guard_external_stub"
        )
    )

    versions = (out / "versions.tf").read_text()
    versions = re.sub(r"\n\s*#[^\n]*\n(\s*external\s*=\s*\{)", r"\n\1", versions)
    versions, _ = cut_block(versions, re.compile(r"^\s*(external)\s*=\s*\{", re.M))
    (out / "versions.tf").write_text(versions)

    if "external" in versions or "data.external" in main_tf:
        raise SystemExit("stub: the external data source is still referenced")
    print(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
