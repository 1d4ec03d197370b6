/*
 * Synchronous FIFO with frame commit/drop on the write side and a
 * first-word-fall-through read side.
 *
 * Words become visible to the reader only when committed: wr_commit in the
 * same cycle as (or after) the last wr_en of a frame. wr_drop rewinds the
 * write pointer to the last commit, discarding an uncommitted frame. A FIFO
 * that does not need frames ties wr_commit high.
 *
 * The memory is read synchronously into an output register (block-RAM
 * friendly); that register is one extra word of storage on top of DEPTH.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_fifo #(
    parameter WIDTH = 8,
    parameter ADDR_W = 9
) (
    input  wire              clk,
    input  wire              rst,

    input  wire [WIDTH-1:0]  wr_data,
    input  wire              wr_en,      // ignored while wr_full
    input  wire              wr_commit,
    input  wire              wr_drop,
    output wire              wr_full,
    output wire [ADDR_W:0]   wr_free,    // words that can still be written

    output wire [WIDTH-1:0]  rd_data,
    output wire              rd_valid,
    input  wire              rd_en       // pop; only meaningful with rd_valid
);

localparam DEPTH = 1 << ADDR_W;
localparam [ADDR_W:0] DEPTH_W = DEPTH;

reg [WIDTH-1:0] mem [0:DEPTH-1];

reg [ADDR_W:0] wr_ptr_reg;
reg [ADDR_W:0] commit_ptr_reg;
reg [ADDR_W:0] rd_ptr_reg;

reg [WIDTH-1:0] rd_data_reg;
reg rd_valid_reg;

wire [ADDR_W:0] used = wr_ptr_reg - rd_ptr_reg;
wire full = used[ADDR_W];  // used == DEPTH
wire do_write = wr_en && !full && !wr_drop;
wire [ADDR_W:0] wr_ptr_inc = wr_ptr_reg + (do_write ? 1 : 0);
wire do_read = (!rd_valid_reg || rd_en) && (commit_ptr_reg != rd_ptr_reg);

assign wr_full = full;
assign wr_free = DEPTH_W - used;
assign rd_data = rd_data_reg;
assign rd_valid = rd_valid_reg;

always @(posedge clk) begin
    if (do_write) begin
        mem[wr_ptr_reg[ADDR_W-1:0]] <= wr_data;
    end
    if (do_read) begin
        rd_data_reg <= mem[rd_ptr_reg[ADDR_W-1:0]];
    end

    if (wr_drop) begin
        wr_ptr_reg <= commit_ptr_reg;
    end else begin
        wr_ptr_reg <= wr_ptr_inc;
        if (wr_commit) begin
            commit_ptr_reg <= wr_ptr_inc;
        end
    end

    if (do_read) begin
        rd_ptr_reg <= rd_ptr_reg + 1;
        rd_valid_reg <= 1'b1;
    end else if (rd_en) begin
        rd_valid_reg <= 1'b0;
    end

    if (rst) begin
        wr_ptr_reg <= 0;
        commit_ptr_reg <= 0;
        rd_ptr_reg <= 0;
        rd_valid_reg <= 1'b0;
    end
end

endmodule

`resetall
