// `nicsim bench`'s plain Verilator build of nic_pair_tb (no cocotb, no VPI,
// nothing public): every input at 0 (what cocotb's idle bus models drive;
// cable in, nothing withheld), reset for 10 clocks, then +cycles=N clocks
// (default 100000) of nothing happening. Prints "<cycles> <wall seconds>"
// of those N clocks.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>

#include "Vnic_pair_tb.h"
#include "verilated.h"

namespace {
void tick(VerilatedContext& ctx, Vnic_pair_tb& top) {
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
    ctx->commandArgs(argc, argv);
    const std::string arg = ctx->commandArgsPlusMatch("cycles=");
    const unsigned long long cycles = arg.empty() ? 100000ULL : std::strtoull(arg.c_str() + 8, nullptr, 10);
    const auto top = std::make_unique<Vnic_pair_tb>(ctx.get());
    top->s_axil_a_awvalid = top->s_axil_a_wvalid = top->s_axil_a_arvalid = 0;
    top->s_axil_a_bready = top->s_axil_a_rready = 0;
    top->s_axil_b_awvalid = top->s_axil_b_wvalid = top->s_axil_b_arvalid = 0;
    top->s_axil_b_bready = top->s_axil_b_rready = 0;
    top->reg_a_req = top->reg_b_req = 0;  // the HDL register masters stay idle
    top->cable_pull = 0;
    top->phy_a_adv_withhold = top->phy_b_adv_withhold = 0;
    top->rst = 1;
    for (int i = 0; i < 10; ++i) tick(*ctx, *top);
    top->rst = 0;
    const auto t0 = std::chrono::steady_clock::now();
    for (unsigned long long i = 0; i < cycles; ++i) tick(*ctx, *top);
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    top->final();
    std::printf("%llu %.6f\n", cycles, seconds);
    return 0;
}
