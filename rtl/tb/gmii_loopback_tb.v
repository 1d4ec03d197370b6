/*
 * Testbench top (not synthesized) for `nicsim bench`'s stock reference: a
 * cocotbext-eth GmiiSource drives gmii_txd/en/er, which come back one clock
 * later, through one register stage, on gmii_rxd/dv/er to a GmiiSink.
 * Under Icarus the clock is made here (HDL_CLOCK), as for nic_pair_tb.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module gmii_loopback_tb (
`ifndef HDL_CLOCK
    input  wire       clk,
`endif
    input  wire       rst,
    input  wire [7:0] gmii_txd,
    input  wire       gmii_tx_en,
    input  wire       gmii_tx_er,
    output reg  [7:0] gmii_rxd,
    output reg        gmii_rx_dv,
    output reg        gmii_rx_er
);

`ifdef HDL_CLOCK
reg clk = 1'b0;
always #4 clk = ~clk;  // 125 MHz
wire clock_running = 1'b1;
`endif

always @(posedge clk) begin
    if (rst) begin
        gmii_rxd <= 8'd0;
        gmii_rx_dv <= 1'b0;
        gmii_rx_er <= 1'b0;
    end else begin
        gmii_rxd <= gmii_txd;
        gmii_rx_dv <= gmii_tx_en;
        gmii_rx_er <= gmii_tx_er;
    end
end

endmodule

`resetall
