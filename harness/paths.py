"""Where the harness finds the product's binaries and the repository's test tools."""
import os
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
TARGET_DIR = Path(os.environ.get("CARGO_TARGET_DIR", "/var/tmp/asl-guard-target"))
CORPUS = Path(os.environ.get("ASL_GUARD_CORPUS", REPO.parent / "shared" / "corpus"))
DYNALITE_SERVER = REPO / "tools" / "dynalite-server.js"


def binary(name: str) -> Path:
    """Path of a debug binary built into CARGO_TARGET_DIR; fails with the build command."""
    path = TARGET_DIR / "debug" / name
    if not path.is_file():
        raise FileNotFoundError(
            f"{path} not found; build it with: CARGO_TARGET_DIR={TARGET_DIR} "
            "cargo build -p asl-guard -p asl-guard-lease"
        )
    return path
