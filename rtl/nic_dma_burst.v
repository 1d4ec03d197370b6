/*
 * Splits a DMA transfer into AXI4 INCR bursts of full bus width: given the
 * next byte address and the bytes left, returns how many bytes the next burst
 * moves and its shape. A burst never crosses a 4 KiB boundary and is at most
 * MAX_BURST_BEATS beats long. Every burst but the first starts on a bus-word
 * boundary, because each one ends on a word boundary unless it is the last.
 * Combinational; shared by the read (TX) and write (RX) engines.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_dma_burst #(
    parameter DATA_WIDTH = 64,
    parameter ADDR_WIDTH = 32,
    parameter MAX_BURST_BEATS = 256
) (
    input  wire [ADDR_WIDTH-1:0] addr,
    input  wire [15:0]           remaining,      // > 0

    output wire [ADDR_WIDTH-1:0] beat_addr,      // addr rounded down to a bus word
    output wire [7:0]            axlen,          // beats - 1
    output wire [15:0]           chunk,          // bytes moved by this burst
    output wire [$clog2(DATA_WIDTH/8)-1:0] first_lane,
    output wire [$clog2(DATA_WIDTH/8)-1:0] last_lane
);

localparam BYTES = DATA_WIDTH / 8;
localparam LANE_W = $clog2(BYTES);
localparam [31:0] MAX_BYTES = MAX_BURST_BEATS * BYTES;

wire [17:0] off = {{(18-LANE_W){1'b0}}, addr[LANE_W-1:0]};
wire [17:0] to_4k = 18'd4096 - {6'd0, addr[11:0]};
wire [17:0] to_max = MAX_BYTES[17:0] - off;
wire [17:0] rem = {2'd0, remaining};

wire [17:0] lim = (to_4k < to_max) ? to_4k : to_max;
wire [17:0] len = (rem < lim) ? rem : lim;
// last byte, relative to beat_addr; a burst is at most 4 KiB, so the top bits are 0
/* verilator lint_off UNUSEDSIGNAL */
wire [17:0] span = off + len - 1;
/* verilator lint_on UNUSEDSIGNAL */

assign beat_addr = {addr[ADDR_WIDTH-1:LANE_W], {LANE_W{1'b0}}};
assign axlen = span[LANE_W +: 8];
assign chunk = len[15:0];
assign first_lane = addr[LANE_W-1:0];
assign last_lane = span[LANE_W-1:0];

endmodule

`resetall
