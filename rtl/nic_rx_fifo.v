/*
 * Receive FIFO: bytes from the MAC in, DMA words plus a frame-length queue out.
 *
 * Each committed frame's length queue entry also carries META_W bits of
 * per-frame information sampled with s_eof (checksum status, broadcast,
 * multicast), so they reach the DMA in step with the frame.
 *
 * Bytes are packed into bus words starting at lane 0 of a fresh word for every
 * frame. The frame becomes visible to the DMA only on s_eof with s_eof_good;
 * a bad frame is rewound. A frame that does not fit (data FIFO or length
 * queue full) is dropped at its end and reported on drop_overflow.
 * m_frames counts the frames committed and not yet taken from the length
 * queue, so the DMA knows how many to flush on a ring reset.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_fifo #(
    parameter DATA_WIDTH = 64,
    parameter ADDR_W = 9,
    parameter LEN_ADDR_W = 5,
    parameter META_W = 8
) (
    input  wire                  clk,
    input  wire                  rst,

    input  wire [7:0]            s_data,
    input  wire                  s_valid,
    input  wire                  s_eof,
    input  wire                  s_eof_good,
    input  wire [META_W-1:0]     s_meta,

    output wire [DATA_WIDTH-1:0] m_data,
    output wire                  m_valid,
    input  wire                  m_ready,

    output wire [15:0]           m_len,
    output wire [META_W-1:0]     m_meta,
    output wire                  m_len_valid,
    input  wire                  m_len_ready,
    output wire [LEN_ADDR_W:0]   m_frames,

    output wire                  drop_overflow
);

localparam BYTES = DATA_WIDTH / 8;
localparam LANE_W = $clog2(BYTES);

reg [DATA_WIDTH-1:0] word_reg;
reg [LANE_W-1:0] lane_reg;
reg [15:0] len_reg;
reg overflow_reg;
reg drop_overflow_reg;
reg [LEN_ADDR_W:0] frames_reg;   // the length queue holds 2^LEN_ADDR_W entries plus its output register

wire data_full;
wire len_full;
// free counts are for callers that reserve space; this one drops on overflow instead
/* verilator lint_off UNUSEDSIGNAL */
wire [ADDR_W:0] data_free;
wire [LEN_ADDR_W:0] len_free;
/* verilator lint_on UNUSEDSIGNAL */

// the word with this cycle's byte merged in
reg [DATA_WIDTH-1:0] word_merged;
always @* begin
    word_merged = word_reg;
    word_merged[lane_reg*8 +: 8] = s_data;
end

wire push_full = s_valid && (&lane_reg);
wire push_partial = s_eof && (lane_reg != 0);
wire push = push_full || push_partial;
wire overflow = overflow_reg || (push && data_full) || (s_eof && len_full) || (s_valid && len_reg == 16'hffff);
wire commit = s_eof && s_eof_good && !overflow;
wire drop = s_eof && !commit;

nic_fifo #(
    .WIDTH(DATA_WIDTH),
    .ADDR_W(ADDR_W)
) data_fifo_inst (
    .clk(clk),
    .rst(rst),
    .wr_data(push_full ? word_merged : word_reg),
    .wr_en(push && !overflow),
    .wr_commit(commit),
    .wr_drop(drop),
    .wr_full(data_full),
    .wr_free(data_free),
    .rd_data(m_data),
    .rd_valid(m_valid),
    .rd_en(m_ready)
);

nic_fifo #(
    .WIDTH(16 + META_W),
    .ADDR_W(LEN_ADDR_W)
) len_fifo_inst (
    .clk(clk),
    .rst(rst),
    .wr_data({s_meta, len_reg}),
    .wr_en(commit),
    .wr_commit(1'b1),
    .wr_drop(1'b0),
    .wr_full(len_full),
    .wr_free(len_free),
    .rd_data({m_meta, m_len}),
    .rd_valid(m_len_valid),
    .rd_en(m_len_ready)
);

assign drop_overflow = drop_overflow_reg;
assign m_frames = frames_reg;

always @(posedge clk) begin
    drop_overflow_reg <= 1'b0;
    frames_reg <= frames_reg + (commit ? 1 : 0) - ((m_len_valid && m_len_ready) ? 1 : 0);
    if (s_valid) begin
        word_reg <= word_merged;
        lane_reg <= lane_reg + 1;
        len_reg <= len_reg + 1;
        overflow_reg <= overflow;
    end
    if (s_eof) begin
        word_reg <= 0;
        lane_reg <= 0;
        len_reg <= 0;
        overflow_reg <= 1'b0;
        drop_overflow_reg <= s_eof_good && overflow;
    end

    if (rst) begin
        word_reg <= 0;
        lane_reg <= 0;
        len_reg <= 0;
        overflow_reg <= 1'b0;
        drop_overflow_reg <= 1'b0;
        frames_reg <= 0;
    end
end

endmodule

`resetall
