// `nicsim bench`'s plain Verilator build of nic_pair_tb (no cocotb, no VPI,
// nothing public): the C++ main of rtl/tb/nic_pair_plain_tb.v, which holds
// the reset for its first 10 clocks, runs +cycles=N clocks (default 100000)
// idle or, with +flood=BYTES, under a full-duplex flood, prints its
// "plain: ..." line and $finishes. This loop toggles the top's clk until
// then and prints, last, "<cycles> <wall seconds>" of the clocks after the
// reset (the bench reads those two tokens). A $fatal ends the process with
// Verilator's error and a nonzero status.
#include <chrono>
#include <cstdio>
#include <memory>

#include "Vnic_pair_plain_tb.h"
#include "verilated.h"

namespace {
constexpr int RESET_CYCLES = 10;  // as nic_pair_plain_tb's RESET_CYCLES

void tick(VerilatedContext& ctx, Vnic_pair_plain_tb& top) {
    top.clk = 0;
    top.eval();
    ctx.timeInc(4000);  // 4 ns at the 1 ps precision: 125 MHz
    top.clk = 1;
    top.eval();
    ctx.timeInc(4000);
}
}  // namespace

int main(int argc, char** argv) {
    const auto ctx = std::make_unique<VerilatedContext>();
    ctx->commandArgs(argc, argv);  // +cycles, +flood: read by the top
    const auto top = std::make_unique<Vnic_pair_plain_tb>(ctx.get());
    for (int i = 0; i < RESET_CYCLES && !ctx->gotFinish(); ++i) tick(*ctx, *top);
    unsigned long long cycles = 0;
    const auto t0 = std::chrono::steady_clock::now();
    while (!ctx->gotFinish()) {
        tick(*ctx, *top);
        ++cycles;
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    top->final();
    std::fflush(stdout);  // the top's $display lines come first
    std::printf("%llu %.6f\n", cycles, seconds);
    return 0;
}
