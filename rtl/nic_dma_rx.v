/*
 * Receive DMA engine: moves whole frames from the RX FIFO into the buffers of
 * the RX descriptor ring.
 *
 * For each frame the FIFO reports: drop it if it does not fit RX_BUF_SIZE
 * (stat_toolong) or if no descriptor is free, HEAD == TAIL (stat_missed and
 * rx_miss); otherwise fetch the descriptor at HEAD, write the frame to its
 * buffer in bursts, write back the upper 8 bytes (LEN, STA = DD|EOP) and
 * pulse rx_done. The buffer may start at any byte address: a realignment
 * shifter rotates the FIFO words (frame byte 0 in lane 0) to the buffer's
 * lane offset and wstrb masks the partial first and last beats, so no byte
 * outside the buffer is ever written.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_dma_rx #(
    parameter DATA_WIDTH = 64,
    parameter ADDR_WIDTH = 32,
    parameter MAX_BURST_BEATS = 256
) (
    input  wire                  clk,
    input  wire                  rst,

    // ring, from the register file
    input  wire                  enable,
    input  wire [63:0]           ring_base,
    input  wire [15:0]           ring_len,
    input  wire [15:0]           ring_tail,
    input  wire                  ring_reset,   // BASE or LEN written: HEAD = 0
    input  wire [31:0]           buf_size,
    output wire [15:0]           ring_head,
    output wire                  busy,

    // reduced AXI4 master (the top fixes size, burst type, cache, prot, id)
    output wire [ADDR_WIDTH-1:0] m_axi_araddr,
    output wire [7:0]            m_axi_arlen,
    output wire                  m_axi_arvalid,
    input  wire                  m_axi_arready,
    input  wire [DATA_WIDTH-1:0] m_axi_rdata,
    input  wire                  m_axi_rlast,
    input  wire                  m_axi_rvalid,
    output wire                  m_axi_rready,
    output wire [ADDR_WIDTH-1:0] m_axi_awaddr,
    output wire [7:0]            m_axi_awlen,
    output wire                  m_axi_awvalid,
    input  wire                  m_axi_awready,
    output wire [DATA_WIDTH-1:0] m_axi_wdata,
    output wire [DATA_WIDTH/8-1:0] m_axi_wstrb,
    output wire                  m_axi_wlast,
    output wire                  m_axi_wvalid,
    input  wire                  m_axi_wready,
    input  wire                  m_axi_bvalid,
    output wire                  m_axi_bready,

    // RX FIFO read side
    input  wire [DATA_WIDTH-1:0] fifo_data,
    input  wire                  fifo_valid,
    output wire                  fifo_ready,
    input  wire [15:0]           fifo_len,
    input  wire                  fifo_len_valid,
    output wire                  fifo_len_ready,

    output wire                  rx_done,      // pulse: a frame's descriptor was written back
    output wire                  rx_miss,      // pulse: frame dropped, no descriptor
    output wire                  stat_toolong, // pulse: frame dropped, larger than buf_size
    output wire                  stat_frame,   // pulse: with rx_done, stat_len bytes written
    output wire [15:0]           stat_len
);

/* verilator lint_off UNUSEDPARAM */
// shared definition: this module uses only the descriptor layout
`include "nic_defs.vh"
/* verilator lint_on UNUSEDPARAM */

localparam BYTES = DATA_WIDTH / 8;
localparam LANE_W = $clog2(BYTES);
localparam integer DESC_BEATS = (BYTES >= NIC_DESC_SIZE) ? 1 : NIC_DESC_SIZE / BYTES;
localparam [7:0] DESC_ARLEN = DESC_BEATS[7:0] - 8'd1;
localparam [BYTES-1:0] ALL_LANES = {BYTES{1'b1}};

localparam [3:0]
    STATE_IDLE = 4'd0,
    STATE_CHECK = 4'd1,
    STATE_DROP = 4'd2,
    STATE_DESC_AR = 4'd3,
    STATE_DESC_R = 4'd4,
    STATE_DATA_AW = 4'd5,
    STATE_DATA_W = 4'd6,
    STATE_DATA_B = 4'd7,
    STATE_WB = 4'd8,
    STATE_WB_B = 4'd9,
    STATE_NEXT = 4'd10;

reg [3:0] state_reg;
reg [15:0] head_reg;
reg [15:0] frame_len_reg;
reg [15:0] words_left_reg;       // FIFO words of this frame not yet consumed
// the low half of the descriptor (ADDR) is consumed as it arrives
/* verilator lint_off UNUSEDSIGNAL */
reg [127:0] desc_reg;
/* verilator lint_on UNUSEDSIGNAL */
reg [ADDR_WIDTH-1:0] desc_addr_reg;
reg [ADDR_WIDTH-1:0] addr_reg;
reg [15:0] remaining_reg;
reg [LANE_W-1:0] shift_reg;      // lane of the buffer's first byte
reg [DATA_WIDTH-1:0] prev_reg;   // previous FIFO word, for the shifter
reg [7:0] beat_reg;              // beat within the burst
reg [7:0] burst_len_reg;
reg first_beat_reg;
reg [LANE_W-1:0] first_lane_reg;
reg [LANE_W-1:0] last_lane_reg;
reg last_burst_reg;
reg aw_done_reg;
reg w_done_reg;
reg rx_done_reg;
reg rx_miss_reg;
reg stat_toolong_reg;

// ring_base is 64 bits; the DMA bus may be narrower
/* verilator lint_off UNUSEDSIGNAL */
wire [63:0] desc_addr_full = ring_base + {44'd0, head_reg, 4'd0};
wire [ADDR_WIDTH-1:0] desc_addr = desc_addr_full[ADDR_WIDTH-1:0];
/* verilator lint_on UNUSEDSIGNAL */

wire [ADDR_WIDTH-1:0] burst_addr;
wire [7:0] burst_len;
wire [15:0] burst_chunk;
wire [LANE_W-1:0] burst_first_lane;
wire [LANE_W-1:0] burst_last_lane;

nic_dma_burst #(
    .DATA_WIDTH(DATA_WIDTH),
    .ADDR_WIDTH(ADDR_WIDTH),
    .MAX_BURST_BEATS(MAX_BURST_BEATS)
) burst_inst (
    .addr(addr_reg),
    .remaining(remaining_reg),
    .beat_addr(burst_addr),
    .axlen(burst_len),
    .chunk(burst_chunk),
    .first_lane(burst_first_lane),
    .last_lane(burst_last_lane)
);

// realignment: output beat k = frame bytes shifted up by shift_reg lanes,
// made of FIFO word k (low lanes moved up) and word k-1 (its top lanes)
// FIFO words of a frame: ceil(len / BYTES); the low bits are the remainder
/* verilator lint_off UNUSEDSIGNAL */
wire [16:0] len_round = {1'b0, fifo_len} + {{(17-LANE_W){1'b0}}, {LANE_W{1'b1}}};
/* verilator lint_on UNUSEDSIGNAL */
wire [15:0] fifo_words = {{(LANE_W-1){1'b0}}, len_round[16:LANE_W]};
wire have_word = (words_left_reg != 0);
wire [DATA_WIDTH-1:0] cur_word = have_word ? fifo_data : {DATA_WIDTH{1'b0}};
wire [2*DATA_WIDTH-1:0] pair = {cur_word, prev_reg};
// the upper half is the output beat; the lower half is what spills to the next
/* verilator lint_off UNUSEDSIGNAL */
wire [2*DATA_WIDTH-1:0] pair_shifted = pair << {shift_reg, 3'b000};
/* verilator lint_on UNUSEDSIGNAL */
wire data_beat_last = (beat_reg == burst_len_reg);
wire [BYTES-1:0] strb_first = first_beat_reg ? (ALL_LANES << first_lane_reg) : ALL_LANES;
wire [BYTES-1:0] strb_last = data_beat_last ? (ALL_LANES >> ~last_lane_reg) : ALL_LANES;
wire data_w_valid = (state_reg == STATE_DATA_W) && (!have_word || fifo_valid);
wire data_w_take = data_w_valid && m_axi_wready;

// write-back: LEN = frame length, CSUM = 0, STA = DD|EOP, RSVD = 0
wire [ADDR_WIDTH-1:0] wb_addr = desc_addr_reg + 8;
wire [LANE_W-1:0] wb_lane = wb_addr[LANE_W-1:0];
// only the upper 8 bytes are written back
/* verilator lint_off UNUSEDSIGNAL */
wire [127:0] wb_desc = ({112'd0, frame_len_reg} << RX_DESC_LEN_LSB)
    | (128'd1 << RX_DESC_STA_DD_BIT) | (128'd1 << RX_DESC_STA_EOP_BIT);
/* verilator lint_on UNUSEDSIGNAL */
wire [63:0] wb_qword = wb_desc[127:64];

wire in_wb = (state_reg == STATE_WB);
wire in_data = (state_reg == STATE_DATA_AW) || (state_reg == STATE_DATA_W);

assign ring_head = head_reg;
assign busy = (state_reg != STATE_IDLE);

assign m_axi_araddr = {desc_addr_reg[ADDR_WIDTH-1:LANE_W], {LANE_W{1'b0}}};
assign m_axi_arlen = DESC_ARLEN;
assign m_axi_arvalid = (state_reg == STATE_DESC_AR);
assign m_axi_rready = (state_reg == STATE_DESC_R);

assign m_axi_awaddr = in_data ? burst_addr : {wb_addr[ADDR_WIDTH-1:LANE_W], {LANE_W{1'b0}}};
assign m_axi_awlen = in_data ? burst_len : 8'd0;
assign m_axi_awvalid = (state_reg == STATE_DATA_AW) || (in_wb && !aw_done_reg);
assign m_axi_wdata = in_wb ? ({{(DATA_WIDTH-64){1'b0}}, wb_qword} << (wb_lane * 8))
                           : pair_shifted[2*DATA_WIDTH-1:DATA_WIDTH];
assign m_axi_wstrb = in_wb ? ({{(BYTES-8){1'b0}}, 8'hff} << wb_lane) : (strb_first & strb_last);
assign m_axi_wlast = in_wb ? 1'b1 : data_beat_last;
assign m_axi_wvalid = data_w_valid || (in_wb && !w_done_reg);
assign m_axi_bready = (state_reg == STATE_DATA_B) || (state_reg == STATE_WB_B);

assign fifo_ready = (data_w_take && have_word) || (state_reg == STATE_DROP && have_word && fifo_valid);
assign fifo_len_ready = (state_reg == STATE_IDLE) && enable && fifo_len_valid;

assign rx_done = rx_done_reg;
assign rx_miss = rx_miss_reg;
assign stat_toolong = stat_toolong_reg;
assign stat_frame = rx_done_reg;
assign stat_len = frame_len_reg;

// descriptor beats arrive lowest address first
wire [127:0] desc_shifted;
generate
    if (BYTES >= NIC_DESC_SIZE) begin : g_desc_wide
        // the rest of the beat holds neighbouring descriptors
        /* verilator lint_off UNUSEDSIGNAL */
        wire [DATA_WIDTH-1:0] sel = m_axi_rdata >> {desc_addr_reg[LANE_W-1:0], 3'b000};
        /* verilator lint_on UNUSEDSIGNAL */
        assign desc_shifted = sel[127:0];
    end else begin : g_desc_narrow
        assign desc_shifted = {m_axi_rdata, desc_reg[127:DATA_WIDTH]};
    end
endgenerate

always @(posedge clk) begin
    rx_done_reg <= 1'b0;
    rx_miss_reg <= 1'b0;
    stat_toolong_reg <= 1'b0;

    case (state_reg)
        STATE_IDLE: begin
            if (fifo_len_ready) begin
                frame_len_reg <= fifo_len;
                words_left_reg <= fifo_words;
                state_reg <= STATE_CHECK;
            end
        end
        STATE_CHECK: begin
            if ({16'd0, frame_len_reg} > buf_size) begin
                stat_toolong_reg <= 1'b1;
                state_reg <= STATE_DROP;
            end else if (ring_len == 0 || head_reg == ring_tail) begin
                rx_miss_reg <= 1'b1;
                state_reg <= STATE_DROP;
            end else begin
                desc_addr_reg <= desc_addr;
                state_reg <= STATE_DESC_AR;
            end
        end
        STATE_DROP: begin
            if (!have_word) begin
                state_reg <= STATE_IDLE;
            end else if (fifo_valid) begin
                words_left_reg <= words_left_reg - 1;
            end
        end
        STATE_DESC_AR: begin
            if (m_axi_arready) begin
                state_reg <= STATE_DESC_R;
            end
        end
        STATE_DESC_R: begin
            if (m_axi_rvalid) begin
                desc_reg <= desc_shifted;
                if (m_axi_rlast) begin
                    addr_reg <= desc_shifted[RX_DESC_ADDR_LSB +: ADDR_WIDTH];
                    shift_reg <= desc_shifted[RX_DESC_ADDR_LSB +: LANE_W];
                    remaining_reg <= frame_len_reg;
                    prev_reg <= 0;
                    state_reg <= STATE_DATA_AW;
                end
            end
        end
        STATE_DATA_AW: begin
            if (m_axi_awready) begin
                addr_reg <= addr_reg + {{(ADDR_WIDTH-16){1'b0}}, burst_chunk};
                remaining_reg <= remaining_reg - burst_chunk;
                burst_len_reg <= burst_len;
                beat_reg <= 0;
                first_beat_reg <= 1'b1;
                first_lane_reg <= burst_first_lane;
                last_lane_reg <= burst_last_lane;
                last_burst_reg <= (burst_chunk == remaining_reg);
                state_reg <= STATE_DATA_W;
            end
        end
        STATE_DATA_W: begin
            if (data_w_take) begin
                prev_reg <= cur_word;
                first_beat_reg <= 1'b0;
                beat_reg <= beat_reg + 1;
                if (have_word) begin
                    words_left_reg <= words_left_reg - 1;
                end
                if (data_beat_last) begin
                    state_reg <= STATE_DATA_B;
                end
            end
        end
        STATE_DATA_B: begin
            if (m_axi_bvalid) begin
                state_reg <= last_burst_reg ? STATE_WB : STATE_DATA_AW;
            end
        end
        STATE_WB: begin
            if (m_axi_awready) begin
                aw_done_reg <= 1'b1;
            end
            if (m_axi_wready) begin
                w_done_reg <= 1'b1;
            end
            if ((aw_done_reg || m_axi_awready) && (w_done_reg || m_axi_wready)) begin
                state_reg <= STATE_WB_B;
            end
        end
        STATE_WB_B: begin
            aw_done_reg <= 1'b0;
            w_done_reg <= 1'b0;
            if (m_axi_bvalid) begin
                rx_done_reg <= 1'b1;
                state_reg <= STATE_NEXT;
            end
        end
        STATE_NEXT: begin
            head_reg <= (head_reg + 16'd1 == ring_len) ? 16'd0 : head_reg + 16'd1;
            state_reg <= STATE_IDLE;
        end
        default: state_reg <= STATE_IDLE;
    endcase

    if (ring_reset) begin
        head_reg <= 0;
    end

    if (rst) begin
        state_reg <= STATE_IDLE;
        head_reg <= 0;
        words_left_reg <= 0;
        aw_done_reg <= 1'b0;
        w_done_reg <= 1'b0;
        rx_done_reg <= 1'b0;
        rx_miss_reg <= 1'b0;
        stat_toolong_reg <= 1'b0;
    end
end

endmodule

`resetall
