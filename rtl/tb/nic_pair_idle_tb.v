/*
 * Testbench top (not synthesized) for `nicsim bench`'s plain Icarus build:
 * nic_pair_tb with no cocotb at all, only time passing, run by plain vvp.
 * Built with HDL_CLOCK: nic_pair_tb makes its own 125 MHz clock. Every input
 * of nic_pair_tb is held at 0 (what cocotb's idle bus models drive; the cable
 * and PHY inputs at 0 mean cable in, nothing withheld), the reset is held
 * for the first 10 clocks, and $finish comes after +cycles=N further clocks
 * (default 100000). The plain Verilator build needs no wrapper:
 * nic_pair_tb_main.cpp does the same from C++.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_pair_idle_tb;

wire clk = dut.clk;

localparam RESET_CYCLES = 10;

reg rst = 1'b1;
reg [63:0] limit = 64'd100000;
reg [63:0] cycle = 64'd0;

initial begin
    if (!$value$plusargs("cycles=%d", limit))
        limit = 64'd100000;
end

always @(posedge clk) begin
    cycle <= cycle + 64'd1;
    if (cycle == RESET_CYCLES - 1)
        rst <= 1'b0;
    if (cycle == limit + RESET_CYCLES - 1)
        $finish;
end

nic_pair_tb dut (
    .rst(rst),
    .s_axil_a_awaddr(12'd0), .s_axil_a_awprot(3'd0), .s_axil_a_awvalid(1'b0),
    .s_axil_a_wdata(32'd0), .s_axil_a_wstrb(4'd0), .s_axil_a_wvalid(1'b0), .s_axil_a_bready(1'b0),
    .s_axil_a_araddr(12'd0), .s_axil_a_arprot(3'd0), .s_axil_a_arvalid(1'b0), .s_axil_a_rready(1'b0),
    .s_axil_b_awaddr(12'd0), .s_axil_b_awprot(3'd0), .s_axil_b_awvalid(1'b0),
    .s_axil_b_wdata(32'd0), .s_axil_b_wstrb(4'd0), .s_axil_b_wvalid(1'b0), .s_axil_b_bready(1'b0),
    .s_axil_b_araddr(12'd0), .s_axil_b_arprot(3'd0), .s_axil_b_arvalid(1'b0), .s_axil_b_rready(1'b0),
    .reg_a_req(1'b0), .reg_a_we(1'b0), .reg_a_addr(12'd0), .reg_a_wdata(32'd0),
    .reg_b_req(1'b0), .reg_b_we(1'b0), .reg_b_addr(12'd0), .reg_b_wdata(32'd0),
    .cable_pull(1'b0), .phy_a_adv_withhold(3'd0), .phy_b_adv_withhold(3'd0)
);

endmodule

`resetall
