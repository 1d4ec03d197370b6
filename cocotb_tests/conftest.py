"""pytest setup for the RTL tests: make runner.py importable from every test file."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
