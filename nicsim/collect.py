"""pytest items from cocotb modules: one item per cocotb test, per parameter set.

A folder of ``tb_*.py`` cocotb modules becomes a pytest suite with a
``conftest.py`` of two lines (``cocotb_tests/conftest.py`` is one)::

    from nicsim.collect import pytest_collect_file  # noqa: F401

Each module says where it runs, at module level:

- ``TOPLEVEL = "nic"`` — the HDL toplevel (required; a ``tb_*`` module
  without it is not collected, so helper modules may share the prefix);
- ``PARAMETERS = [{}, {"DATA_WIDTH": 512}]`` — optional: the parameter sets
  every test runs at (default ``[{}]``: the toplevel's defaults);
- ``SKIP = "reason"`` — optional: every item is skipped with this reason
  (what the machine lacks; None or unset: run);

and a test that also runs at another set says so beside its definition,
``@testing.test(also_at={"DATA_WIDTH": 512})`` (:mod:`nicsim.testing`).

The tests are found by importing the module as cocotb does
(:func:`nicsim.runner.cocotb_test_names` and the ``TestGenerator`` objects),
so no name is kept in a list. Item ids are
``<path>::<test>`` and, for a nonempty parameter set,
``<path>::<test>[NAME=value,...]``; ``pytest -k soft_reset`` selects by them.
Each item runs :func:`nicsim.runner.run_cocotb` for its one test; a failure is
reported by :class:`nicsim.runner.CocotbTestFailed`'s short report instead of
a traceback of the runner.
"""

from __future__ import annotations

import importlib
import sys
from pathlib import Path

import pytest

from nicsim import runner
from nicsim.testing import ALSO_AT


def variant_id(parameters: dict) -> str:
    """``"[DATA_WIDTH=512]"`` for ``{"DATA_WIDTH": 512}``, ``""`` for ``{}``:
    the suffix of an item's name and of its artifact folder."""
    if not parameters:
        return ""
    return "[" + ",".join(f"{k}={v}" for k, v in sorted(parameters.items())) + "]"


def module_items(module_name: str) -> list[tuple[str, dict]]:
    """``[(cocotb test name, parameters), ...]`` of a cocotb module, in
    definition order: each test at every set of the module's ``PARAMETERS``,
    then at its own ``also_at`` sets. Imports the module. Raises
    ``AttributeError`` if it has no ``TOPLEVEL``."""
    mod = importlib.import_module(module_name)
    base = [dict(p) for p in getattr(mod, "PARAMETERS", [{}])]
    extra: dict[str, list[dict]] = {}
    for obj in vars(mod).values():
        if hasattr(obj, "generate_tests"):
            for t in obj.generate_tests():
                extra[t.name] = list(getattr(obj, ALSO_AT, []))
    items = []
    for name in runner.cocotb_test_names(module_name):
        for params in base + [p for p in extra.get(name, []) if p not in base]:
            items.append((name, params))
    return items


class CocotbItem(pytest.Item):
    """One cocotb test of one module at one parameter set."""

    def __init__(self, *, module_name: str, toplevel: str, testcase: str, parameters: dict,
                 skip: str | None = None, **kwargs):
        super().__init__(**kwargs)
        self.module_name = module_name
        self.toplevel = toplevel
        self.testcase = testcase
        self.parameters = parameters
        self.skip = skip

    def runtest(self) -> None:
        if self.skip:
            pytest.skip(self.skip)
        runner.run_cocotb(self.module_name, self.toplevel, parameters=self.parameters, testcase=self.testcase,
                          nodeid=self.nodeid)

    def repr_failure(self, excinfo, style=None):
        err = excinfo.value
        if isinstance(err, runner.CocotbTestFailed):
            return str(err)
        if isinstance(err, (runner.SimulatorMissing, runner.BuildFailed, runner.SimulatorKilled, ValueError)):
            # the run could not start (no simulator, the HDL does not build, a bad setting): the message
            # says why and what to do; pytest's traceback of the runner would bury it
            return f"{self.module_name}.{self.name} could not run: {type(err).__name__}: {err}"
        return super().repr_failure(excinfo, style="short")

    def reportinfo(self):
        return self.path, None, f"{self.module_name}.{self.name}"


class CocotbModule(pytest.File):
    """A ``tb_*.py`` cocotb module: one :class:`CocotbItem` per test and parameter set."""

    def collect(self):
        folder = str(self.path.parent)
        if folder not in sys.path:
            sys.path.insert(0, folder)  # cocotb hands sys.path to the simulator, which imports by name
        name = self.path.stem
        mod = importlib.import_module(name)
        toplevel = getattr(mod, "TOPLEVEL", None)
        if toplevel is None:
            return
        skip = getattr(mod, "SKIP", None)
        for testcase, params in module_items(name):
            yield CocotbItem.from_parent(self, name=testcase + variant_id(params), module_name=name,
                                         toplevel=toplevel, testcase=testcase, parameters=params, skip=skip)


def k_expression(pattern: str) -> str:
    """A ``pytest -k`` expression for ``pattern``, which may also be an item's
    own name as pytest prints it: ``test_x[DATA_WIDTH=512]`` (or its whole id,
    ``cocotb_tests/tb_features.py::test_x[DATA_WIDTH=512]``) becomes
    ``test_x and DATA_WIDTH and 512`` (``-k`` takes no brackets or ``=``);
    anything else is returned as it is."""
    if not any(c in pattern for c in "[]=:"):
        return pattern
    name = pattern.rsplit("::", 1)[-1]
    words = [w for w in name.replace("[", " ").replace("]", " ").replace("=", " ").replace(",", " ").split() if w]
    return " and ".join(words)


def pytest_collect_file(file_path: Path, parent):
    """pytest hook: a ``tb_*.py`` file is a :class:`CocotbModule`."""
    if file_path.suffix == ".py" and file_path.name.startswith("tb_"):
        return CocotbModule.from_parent(parent, path=file_path)
    return None


def k_error(expression: str) -> str | None:
    """Why ``pytest -k`` would refuse ``expression`` (its parser's message:
    ``closing quote "'" is missing``), or None when it takes it (or this
    pytest's parser cannot be reached). Under xdist a refused ``-k`` is an
    INTERNALERROR of every worker, so ``make sim`` asks first."""
    try:
        from _pytest.mark.expression import Expression
    except ImportError:  # pytest's own module, not public API: no check rather than no run
        return None
    try:
        Expression.compile(expression)
    except SyntaxError as e:  # pytest 9 raises SyntaxError (its .msg the reason) where 8 raised ParseError
        return e.msg
    except Exception as e:  # pytest 8's ParseError: any refusal is one
        return str(e)
    return None


if __name__ == "__main__":  # `python -m nicsim.collect [--check] PATTERN`: the -k expression (make sim TESTS=...)
    check = sys.argv[1:2] == ["--check"]
    pattern = k_expression(sys.argv[1 + check] if len(sys.argv) > 1 + check else "")
    if not check:
        print(pattern)
    elif (why := k_error(pattern)) is not None:
        # --check: a usage error, said once, before anything is built (make's SIM= check exits 2 the same way)
        print(f"error: TESTS={sys.argv[2]!r} is not a pytest -k expression: {why}", file=sys.stderr)
        sys.exit(2)
