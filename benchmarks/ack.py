"""Kept so `python benchmarks/ack.py [--quick]` still runs the benchmark: see benchmarks/load."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.load.cli import main

if __name__ == "__main__":
    sys.exit(main())
