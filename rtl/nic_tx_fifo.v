/*
 * Transmit FIFO: DMA words in, bytes out to the MAC.
 *
 * Each word carries the byte lanes that hold frame data as an inclusive range
 * [lo, hi] (the DMA reads whole bus words from buffers at any byte address,
 * so only the first and last word of a read are partial) and a flag marking
 * the last word of a frame. The serializer walks lo..hi, so no realignment
 * shifter is needed on the read side.
 *
 * Store-and-forward: a frame's words become visible to the reader only once
 * its last word is written (nic_fifo commit), so start_ok, which tells the
 * MAC it may start a frame, means a whole frame is buffered and the wire
 * never starves. The one exception is a frame larger than the FIFO: when the
 * FIFO holds nothing but the frame being written and the writer cannot go on
 * (s_stall, or the FIFO is full), the words so far are committed and every
 * later word of that frame as it arrives (cut-through as a last resort).
 *
 * A frame the writer cuts short (the abort flag, s_user[2], on its last word)
 * is discarded whole, as if never written, unless it is already going out
 * cut-through: then the abort word is passed on and the MAC ends the frame
 * with gmii_tx_er.
 *
 * pending: a frame (whole, or cut-through) is in the FIFO and not yet read
 * out to its last byte. An unfinished store-and-forward frame does not count:
 * it waits for the rest of its words and cannot leave on its own.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_tx_fifo #(
    parameter DATA_WIDTH = 64,
    parameter ADDR_W = 9,
    parameter LANE_W = $clog2(DATA_WIDTH/8)
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [DATA_WIDTH-1:0] s_data,
    input  wire [LANE_W-1:0]     s_lo,
    input  wire [LANE_W-1:0]     s_hi,
    input  wire                  s_last,
    input  wire [2:0]            s_user,     // {abort, L4CS, IPCS}, passed to the byte stream
    input  wire                  s_valid,    // caller checks s_free first
    input  wire                  s_stall,    // the writer waits for space to go on with its frame
    output wire [ADDR_W:0]       s_free,

    output wire [7:0]            m_axis_tdata,
    output wire                  m_axis_tvalid,
    input  wire                  m_axis_tready,
    output wire                  m_axis_tlast,
    output wire [2:0]            m_axis_tuser,
    output wire                  start_ok,
    output wire                  pending
);

localparam WIDTH = DATA_WIDTH + 2*LANE_W + 4;

wire [WIDTH-1:0] rd_word;
wire rd_valid;
wire rd_en;
wire wr_full;

reg started_reg;          // inside a word: lane_reg is valid
reg [LANE_W-1:0] lane_reg;
reg [ADDR_W:0] frames_reg;   // whole frames written and not yet read out
reg open_reg;             // words of an unfinished frame are written
reg cut_reg;              // ... and that frame goes cut-through

wire s_abort = s_user[2];
wire wr_take = s_valid && !wr_full;
// a frame larger than the FIFO: nothing ahead of it to drain, and no room to finish it
wire cut_start = open_reg && !cut_reg && (frames_reg == 0) && (s_stall || wr_full);
wire cut = cut_reg || cut_start;
wire wr_drop = s_valid && s_last && s_abort && !cut;
wire wr_commit = cut || (wr_take && s_last);

nic_fifo #(
    .WIDTH(WIDTH),
    .ADDR_W(ADDR_W)
) fifo_inst (
    .clk(clk),
    .rst(rst),
    .wr_data({s_user, s_last, s_hi, s_lo, s_data}),
    .wr_en(s_valid),
    .wr_commit(wr_commit),
    .wr_drop(wr_drop),
    .wr_full(wr_full),
    .wr_free(s_free),
    .rd_data(rd_word),
    .rd_valid(rd_valid),
    .rd_en(rd_en)
);

wire [DATA_WIDTH-1:0] rd_data = rd_word[DATA_WIDTH-1:0];
wire [LANE_W-1:0] rd_lo = rd_word[DATA_WIDTH +: LANE_W];
wire [LANE_W-1:0] rd_hi = rd_word[DATA_WIDTH+LANE_W +: LANE_W];
wire rd_last = rd_word[DATA_WIDTH+2*LANE_W];
wire [2:0] rd_user = rd_word[WIDTH-1 -: 3];

wire [LANE_W-1:0] lane = started_reg ? lane_reg : rd_lo;
wire word_end = (lane == rd_hi);
wire take = m_axis_tvalid && m_axis_tready;

assign m_axis_tdata = rd_data[lane*8 +: 8];
assign m_axis_tvalid = rd_valid;
assign m_axis_tlast = rd_last && word_end;
assign m_axis_tuser = rd_user;
assign rd_en = take && word_end;
assign start_ok = (frames_reg != 0) || cut_reg;
assign pending = (frames_reg != 0) || cut_reg;

wire frame_in = wr_take && s_last && !wr_drop;
wire frame_out = take && m_axis_tlast;

always @(posedge clk) begin
    if (take) begin
        started_reg <= !word_end;
        lane_reg <= lane + 1;
    end
    frames_reg <= frames_reg + (frame_in ? 1 : 0) - (frame_out ? 1 : 0);

    if (cut_start) begin
        cut_reg <= 1'b1;
    end
    if (wr_take || wr_drop) begin
        open_reg <= !s_last;
        if (s_last) begin
            cut_reg <= 1'b0;
        end
    end

    if (rst) begin
        started_reg <= 1'b0;
        lane_reg <= 0;
        frames_reg <= 0;
        open_reg <= 1'b0;
        cut_reg <= 1'b0;
    end
end

endmodule

`resetall
