// The cocotb 2.1 Verilator main (share/lib/verilator/verilator.cpp, BSD-3,
// copyright cocotb contributors, kept below), with one addition: built with
// NICSIM_CLOCK_HALF_PERIOD (in simulation precision units), it drives the
// toplevel's `clk` input itself, a toggle per half period in this loop.
// That is the cheapest clock Verilator has: a clock made by the design
// (`always #4`, needs --timing) costs its coroutine scheduler per edge, and
// one made by cocotb costs a VPI callback and put per edge (measured in
// `nicsim bench`, see nicsim/runner.py). Everything else is cocotb's.
// Copyright cocotb contributors
// Licensed under the Revised BSD License, see LICENSE for details.
// SPDX-License-Identifier: BSD-3-Clause

#include <libgen.h>  // basename
#include <stdio.h>   // stderr, fprintf

#include <memory>  // std::unique_ptr
#include <string>  // std::string

#include "Vtop.h"
#include "verilated.h"
#include "verilated_vpi.h"

#ifndef VM_TRACE_FST
// emulate new verilator behavior for legacy versions
#define VM_TRACE_FST 0
#endif

#if VM_TRACE
#if VM_TRACE_FST
#include <verilated_fst_c.h>
using verilated_trace_t = VerilatedFstC;
#elif VM_TRACE_SAIF
#include <verilated_saif_c.h>
using verilated_trace_t = VerilatedSaifC;
#else
// VM_TRACE_VCD
#include <verilated_vcd_c.h>
using verilated_trace_t = VerilatedVcdC;
#endif
static verilated_trace_t *tfp;
#endif

static vluint64_t main_time = 0;  // Current simulation time
#ifdef NICSIM_CLOCK_HALF_PERIOD
static vluint64_t next_clock_edge = NICSIM_CLOCK_HALF_PERIOD;
#endif
#if VM_COVERAGE
static bool coverage_per_instance = false;
#endif

double sc_time_stamp() {  // Called by $time in Verilog
    return main_time;     // converts to double, to match
                          // what SystemC does
}

extern "C" {
void vlog_startup_routines_bootstrap(void);
}

static inline bool settle_value_callbacks() {
    bool cbs_called, again;

    // Call Value Change callbacks
    // These can modify signal values so we loop
    // until there are no more changes
    cbs_called = again = VerilatedVpi::callValueCbs();
    while (again) {
        again = VerilatedVpi::callValueCbs();
    }

    return cbs_called;
}

// the end of a time step in the waveform (both the full loop and the quiet
// edges end steps)
static inline void dump_trace(bool flush) {
#if VM_TRACE
    if (tfp) {
        tfp->dump(main_time);
        if (flush) {
            tfp->flush();
        }
    }
#else
    (void)flush;
#endif
}

void wrap_up() {
    VerilatedVpi::callCbs(cbEndOfSimulation);

#if VM_TRACE
    if (tfp) {
        // We don't delete the trace object to avoid deadlock in verilator sims.
        tfp->close();
    }
#endif

    // VM_COVERAGE is a define which is set if Verilator is
    // instructed to collect coverage (when compiling the simulation)
#if VM_COVERAGE
    if (coverage_per_instance) {
        Verilated::threadContextp()->coveragep()->forcePerInstance(true);
    }
    VerilatedCov::write();  // Uses +verilator+coverage+file+<filename>,
                            // defaults to coverage.dat
#endif
}

int main(int argc, char **argv) {
#if VM_TRACE_FST
    const char *traceFile = "dump.fst";
#elif VM_TRACE_SAIF
    const char *traceFile = "dump.saif";
#else
    const char *traceFile = "dump.vcd";
#endif
    bool traceOn = false;
    bool traceFlush = false;
    bool coveragePerInstance = false;

    for (int i = 1; i < argc; i++) {
        std::string arg = std::string(argv[i]);
        if (arg == "--coverage-per-instance") {
#if VM_COVERAGE
            coveragePerInstance = true;
#else
            fprintf(stderr,
                    "Error: --coverage-per-instance requires the design to be "
                    "built with coverage support\n");
            return -1;
#endif
        } else if (arg == "--trace") {
#if VM_TRACE
            traceOn = true;
#else
            fprintf(stderr,
                    "Error: --trace requires the design to be built with trace "
                    "support\n");
            return -1;
#endif
        } else if (arg == "--trace-flush") {
            traceFlush = true;
        } else if (arg == "--trace-file") {
            if (++i < argc) {
                traceFile = argv[i];
            } else {
                fprintf(stderr, "Error: --trace-file requires a parameter\n");
                return -1;
            }
        } else if (arg == "--help") {
            fprintf(
                stderr,
                "usage: %s [--coverage-per-instance] [--trace] [--trace-flush] "
                "[--trace-file TRACEFILE]\n"
                "\n"
                "cocotb + Verilator sim\n"
                "\n"
                "options:\n"
                "  --coverage-per-instance  Force per-instance coverage "
                "(requires coverage build)\n"
                "  --trace                  Enable tracing (VCD, SAIF or FST)\n"
                "  --trace-flush            Flush trace at each time step "
                "(slow)\n"
                "  --trace-file             Specify the trace file name (%s by "
                "default)\n",
                basename(argv[0]), traceFile);
            return 0;
        }
    }

    Verilated::commandArgs(argc, argv);
#if VM_COVERAGE
    coverage_per_instance = coveragePerInstance;
#endif
#ifdef VERILATOR_SIM_DEBUG
    Verilated::debug(99);
#endif
    std::unique_ptr<Vtop> top(new Vtop(""));
#ifdef NICSIM_CLOCK_HALF_PERIOD
    top->clk = 0;
#endif
    Verilated::fatalOnVpiError(false);  // otherwise it will fail on systemtf

#ifdef VERILATOR_SIM_DEBUG
    Verilated::internalsDump();
#endif

#if VM_TRACE
    Verilated::traceEverOn(true);
    if (traceOn) {
        tfp = new verilated_trace_t;
        top->trace(tfp, 99);
        tfp->open(traceFile);
    }
#endif

    vlog_startup_routines_bootstrap();
    Verilated::addExitCb([](void *) { wrap_up(); }, nullptr);
    VerilatedVpi::callCbs(cbStartOfSimulation);
    settle_value_callbacks();

    while (!Verilated::gotFinish()) {
        do {
            // We must evaluate whole design until we process all 'events' for
            // this time step
            do {
                top->eval_step();
                VerilatedVpi::clearEvalNeeded();
                VerilatedVpi::doInertialPuts();
                settle_value_callbacks();
            } while (VerilatedVpi::evalNeeded());

            // Run ReadWrite callback as we are done processing this eval step
            VerilatedVpi::callCbs(cbReadWriteSynch);
            VerilatedVpi::doInertialPuts();
            settle_value_callbacks();
        } while (VerilatedVpi::evalNeeded());

        top->eval_end_step();

        // Call ReadOnly callbacks
        VerilatedVpi::callCbs(cbReadOnlySynch);

        dump_trace(traceFlush);
        // cocotb controls the clock inputs using cbAfterDelay so
        // skip ahead to the next registered callback
        const vluint64_t NO_TOP_EVENTS_PENDING = static_cast<vluint64_t>(~0ULL);
        vluint64_t next_time_cocotb = VerilatedVpi::cbNextDeadline();
        vluint64_t next_time_timing =
            top->eventsPending() ? top->nextTimeSlot() : NO_TOP_EVENTS_PENDING;
        vluint64_t next_time = std::min(next_time_cocotb, next_time_timing);
#ifdef NICSIM_CLOCK_HALF_PERIOD
        next_time = std::min(next_time, next_clock_edge);
#endif

        // If there are no more cbAfterDelay callbacks,
        // the next deadline is max value, so end the simulation now
        if (next_time == NO_TOP_EVENTS_PENDING) {
            break;
        } else {
            main_time = next_time;
        }

        // Call registered NextSimTime
        // It should be called in simulation cycle before everything else
        // but not on first cycle
        VerilatedVpi::callCbs(cbNextSimTime);
        settle_value_callbacks();

        // Call registered timed callbacks (e.g. clock timer)
        // These are called at the beginning of the time step
        // before the iterative regions (IEEE 1800-2012 4.4.1)
        VerilatedVpi::callTimedCbs();
        settle_value_callbacks();
#ifdef NICSIM_CLOCK_HALF_PERIOD
        // The clock edge, after the step's timed callbacks. A write a test
        // makes from one of them (cocotb's default `.value =`) is applied
        // after this edge has been evaluated, so the edge after it sees it,
        // as under Icarus with the design's own clock (tb_pair checks both).
        // A write at an edge's time is a race in Verilog too.
        if (main_time != next_clock_edge) continue;
        top->clk = !top->clk;
        next_clock_edge += NICSIM_CLOCK_HALF_PERIOD;

        // Quiet edges. While nothing but the clock is due (no ReadWrite,
        // ReadOnly or NextSimTime callback registered, no put applied, the
        // next timed callback after the next edge), each time step is run
        // as a plain C++ main runs it: evaluate, check the value-change
        // callbacks, advance to the next edge. The full cocotb step above
        // costs as much as half the model's own evaluation of an idle
        // nic_pair_tb. As soon as a callback runs (or one is due), the
        // step is finished by the full loop: evaluating again changes nothing
        // (cocotb's loop itself evaluates a step more than once).
        // Only a callback (Python) registers callbacks or puts values, and
        // every callback ends the fast path: what is due is read once at
        // its start, puts applied and NextSimTime offered on its first step.
        if (Verilated::gotFinish() || top->eventsPending() || VerilatedVpi::evalNeeded() ||
            VerilatedVpi::hasCbs(cbReadWriteSynch) || VerilatedVpi::hasCbs(cbReadOnlySynch) ||
            VerilatedVpi::hasCbs(cbNextSimTime)) {
            continue;
        }
        const vluint64_t deadline = VerilatedVpi::cbNextDeadline();
        bool first = true;
        while (next_clock_edge < deadline && !Verilated::gotFinish()) {
            top->eval_step();
            if (first) {
                // a write cocotb made (an inertial put) is applied here, as above
                VerilatedVpi::doInertialPuts();
            }
            if (settle_value_callbacks() ||
                (first && (VerilatedVpi::evalNeeded() || VerilatedVpi::hasCbs(cbReadWriteSynch) ||
                           VerilatedVpi::hasCbs(cbReadOnlySynch)))) {
                break;
            }
            top->eval_end_step();
            dump_trace(traceFlush);
            main_time = next_clock_edge;
            // a NextTimeStep trigger waits in Verilator's next-time list,
            // which hasCbs does not see: offer it this step, as above
            const bool woke = first && VerilatedVpi::callCbs(cbNextSimTime);
            if (woke) {
                settle_value_callbacks();
                VerilatedVpi::callTimedCbs();
                settle_value_callbacks();
            }
            top->clk = !top->clk;
            next_clock_edge += NICSIM_CLOCK_HALF_PERIOD;
            first = false;
            if (woke) break;
        }
#endif
    }

    top->final();

    wrap_up();

#if VM_TRACE
    if (tfp) {
        delete tfp;
        tfp = nullptr;
    }
#endif

    // Fail the sim if any assertion/error fired during the run.
    if (Verilated::threadContextp()->errorCount() > 0) {
        return 1;
    }

    return 0;
}
