/*
 * Receive DMA engine: moves whole frames from the RX FIFO into the buffers of
 * the RX descriptor ring.
 *
 * For each frame the FIFO reports, first count the descriptors it needs: a
 * frame of at most buf_size bytes takes one buffer; a longer one fills
 * buffers of buf_size rounded down to 64 bytes (CHUNK) until the rest fits
 * in one buffer. If fewer descriptors are free (HEAD..TAIL) the frame is
 * dropped whole (rx_miss): the NIC never writes a descriptor it was not
 * handed and never leaves half a frame. If buf_size < CHUNK and the frame
 * does not fit, it is dropped as too long. Then, per buffer: fetch the
 * descriptor at HEAD, write the buffer's bytes in bursts, write back the
 * upper 8 bytes (LEN, CSUM on the last, STA = DD, plus EOP on the last) and
 * advance HEAD; rx_done pulses once the last is written back.
 *
 * A buffer may start at any byte address: a realignment shifter rotates the
 * FIFO words to the buffer's lane offset and wstrb masks the partial first
 * and last beats, so no byte outside the buffer is ever written. Every
 * buffer but a frame's last holds a multiple of 64 bytes, so each buffer
 * starts on a FIFO word boundary and the shifter restarts cleanly.
 *
 * DMA errors: a SLVERR/DECERR response (descriptor read, data or write-back
 * write) drops the rest of the frame from the FIFO, pulses dma_err with the
 * failing burst's address and parks the engine (stopped) until ring_reset.
 *
 * Ring rules (checked before any bus access): TAIL >= LEN (in whatever order
 * they were written) hands the NIC no descriptor, so every frame is dropped
 * as missed until TAIL < LEN (by writing either). A descriptor, or the bytes of a
 * buffer to be written, at or above 2**ADDR_WIDTH stops the ring like an
 * error response (cause RANGE, the full 64-bit address), with no bus access.
 *
 * With enable low the engine starts no new frame (one it has begun is
 * finished): frames wait in the FIFO. A ring reset while enable is low
 * flushes the frames waiting at that moment, each dropped and counted as a
 * miss, so a rebuilt ring never receives stale frames; frames committed
 * after the reset are not touched. A ring reset with enable high (restarting
 * a ring stopped by an error) keeps them.
 *
 * A ring reset while a frame is in flight (between taking its length and its
 * last write-back) abandons it (abandon_reg): HEAD stays 0, no descriptor is
 * written back, and the frame's rest is dropped and counted as a miss, like a
 * flushed frame. A bus transaction already issued still ends by the AXI rules
 * (a descriptor read is drained, a data burst gets all its beats, those not
 * yet presented with no byte strobed, error responses are ignored), but no
 * further burst starts. Only a write-back whose address and data were
 * already presented when the reset came completes (AXI forbids taking them
 * back): DD then lands in the descriptor it was fetched from, yet HEAD still
 * stays 0.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_dma_rx #(
    parameter DATA_WIDTH = 64,
    parameter ADDR_WIDTH = 32,
    parameter MAX_BURST_BEATS = 256,
    parameter FRAMES_W = 6           // width of the RX FIFO's frame count
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
    input  wire [1:0]            m_axi_rresp,
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
    input  wire [1:0]            m_axi_bresp,
    input  wire                  m_axi_bvalid,
    output wire                  m_axi_bready,

    // RX FIFO read side
    input  wire [DATA_WIDTH-1:0] fifo_data,
    input  wire                  fifo_valid,
    output wire                  fifo_ready,
    input  wire [15:0]           fifo_len,
    input  wire [7:0]            fifo_meta,    // {csum status[5:0], mcast, bcast}
    input  wire                  fifo_len_valid,
    output wire                  fifo_len_ready,
    input  wire [FRAMES_W-1:0]   fifo_frames,  // frames waiting in the FIFO

    output wire                  rx_done,      // pulse: a frame's descriptor was written back
    output wire                  rx_miss,      // pulse: frame dropped, no descriptor or flushed
    output wire                  stat_toolong, // pulse: frame dropped, larger than buf_size
    output wire                  stat_frame,   // pulse: with rx_done, stat_len bytes written
    output wire [15:0]           stat_len,
    output wire                  stat_bcast,   // with stat_frame
    output wire                  stat_mcast,

    output wire                  dma_err,      // pulse: an AXI error response stopped the ring
    output wire [63:0]           dma_err_addr,
    output wire                  dma_err_write,
    output wire [1:0]            dma_err_resp,
    output wire [1:0]            dma_err_cause, // 0: AXI response, 1: address range
    output wire                  stopped
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
    STATE_COUNT = 4'd2,
    STATE_DROP = 4'd3,
    STATE_DESC = 4'd4,
    STATE_DESC_AR = 4'd5,
    STATE_DESC_R = 4'd6,
    STATE_DATA_AW = 4'd7,
    STATE_DATA_W = 4'd8,
    STATE_DATA_B = 4'd9,
    STATE_WB = 4'd10,
    STATE_WB_B = 4'd11,
    STATE_NEXT = 4'd12,
    STATE_STOPPED = 4'd13;

localparam [15:0] CHUNK_MASK = ~(NIC_RX_BUF_CHUNK[15:0] - 16'd1);

reg [3:0] state_reg;
reg [15:0] head_reg;
reg [15:0] frame_len_reg;
reg [7:0] meta_reg;
reg [15:0] frame_words_reg;      // FIFO words of this frame not yet consumed
reg [15:0] frame_left_reg;       // bytes not yet given a buffer
reg [15:0] count_rem_reg;        // descriptor count: bytes not yet counted
reg [15:0] need_reg;             // descriptor count so far
reg [15:0] avail_reg;            // descriptors HEAD..TAIL
reg [15:0] buf_len_reg;          // bytes in the current buffer
reg last_buf_reg;                // the current buffer ends the frame
reg [15:0] words_left_reg;       // FIFO words of this buffer not yet consumed
reg [ADDR_WIDTH-1:0] desc_addr_reg;
reg [ADDR_WIDTH-1:0] addr_reg;
reg [ADDR_WIDTH-1:0] burst_addr_reg;   // the data burst in flight, for error reports
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
reg rd_err_reg;
reg [1:0] rd_resp_reg;
reg rx_done_reg;
reg rx_miss_reg;
reg stat_toolong_reg;
reg dma_err_reg;
reg [63:0] dma_err_addr_reg;
reg dma_err_write_reg;
reg [1:0] dma_err_resp_reg;
reg [1:0] dma_err_cause_reg;
reg draining_reg;                // after an error: dropping the frame's rest
reg [FRAMES_W-1:0] flush_reg;    // waiting frames a ring reset (enable low) still has to drop
reg abandon_reg;                 // a ring reset came while a frame was in flight
reg strb_off_reg;                // the data beat presented strobes no byte (abandoned burst)

// ring_base is 64 bits; the DMA bus may be narrower: the bits above it only
// feed the range check. BASE is 16-byte aligned, so a descriptor lies below
// 2**ADDR_WIDTH exactly when its first byte does; the 65th bit catches a
// ring that wraps past 2**64.
wire [64:0] desc_addr_sum = {1'b0, ring_base} + {45'd0, head_reg, 4'd0};
wire [63:0] desc_addr_full = desc_addr_sum[63:0];
wire [ADDR_WIDTH-1:0] desc_addr = desc_addr_full[ADDR_WIDTH-1:0];
wire desc_out_of_range = ((desc_addr_sum >> ADDR_WIDTH) != 65'd0);

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

// FIFO words for n bytes: ceil(n / BYTES)
// (the low LANE_W bits of the rounded sum are the dropped remainder)
/* verilator lint_off UNUSEDSIGNAL */
function [15:0] words_of;
    input [15:0] n;
    reg [16:0] r;
    begin
        r = {1'b0, n} + {{(17-LANE_W){1'b0}}, {LANE_W{1'b1}}};
        words_of = {{(LANE_W-1){1'b0}}, r[16:LANE_W]};
    end
endfunction
/* verilator lint_on UNUSEDSIGNAL */

// buffer sizing: frames up to buf_size take one buffer, longer ones CHUNK-multiples
wire fits_one = ({16'd0, frame_len_reg} <= buf_size);
wire [15:0] chunk_len = buf_size[15:0] & CHUNK_MASK;
wire left_fits = ({16'd0, frame_left_reg} <= buf_size);
wire count_fits = ({16'd0, count_rem_reg} <= buf_size);
// TAIL at or beyond LEN (or LEN 0) hands the NIC nothing
wire [15:0] avail = (ring_tail >= ring_len) ? 16'd0
    : (ring_tail >= head_reg) ? ring_tail - head_reg : ring_tail + ring_len - head_reg;

// realignment: output beat k = buffer bytes shifted up by shift_reg lanes,
// made of FIFO word k (low lanes moved up) and word k-1 (its top lanes)
wire have_word = (words_left_reg != 0);
wire [DATA_WIDTH-1:0] cur_word = have_word ? fifo_data : {DATA_WIDTH{1'b0}};
wire [2*DATA_WIDTH-1:0] pair = {cur_word, prev_reg};
// the upper half is the output beat; the lower half is what spills to the next
/* verilator lint_off UNUSEDSIGNAL */
wire [2*DATA_WIDTH-1:0] pair_shifted = pair << {shift_reg, 3'b000};
/* verilator lint_on UNUSEDSIGNAL */
wire data_beat_last = (beat_reg == burst_len_reg);
// the frame in flight is abandoned from the clock the reset comes
wire abandon = abandon_reg || ring_reset;
wire [BYTES-1:0] strb_first = first_beat_reg ? (ALL_LANES << first_lane_reg) : ALL_LANES;
wire [BYTES-1:0] strb_last = data_beat_last ? (ALL_LANES >> ~last_lane_reg) : ALL_LANES;
wire data_w_valid = (state_reg == STATE_DATA_W) && (!have_word || fifo_valid);
wire data_w_take = data_w_valid && m_axi_wready;
wire dropping = (state_reg == STATE_DROP) && (frame_words_reg != 0);
wire drop_done = (state_reg == STATE_DROP) && (frame_words_reg == 0 || (frame_words_reg == 1 && fifo_ready));

// write-back: LEN = bytes in this buffer, CSUM and EOP on the last, STA.DD
wire [ADDR_WIDTH-1:0] wb_addr = desc_addr_reg + 8;
wire [LANE_W-1:0] wb_lane = wb_addr[LANE_W-1:0];
wire [7:0] wb_csum = last_buf_reg ? {2'b00, meta_reg[7:2]} : 8'd0;
// only the upper 8 bytes are written back
/* verilator lint_off UNUSEDSIGNAL */
wire [127:0] wb_desc = ({112'd0, buf_len_reg} << RX_DESC_LEN_LSB)
    | ({120'd0, wb_csum} << RX_DESC_CSUM_LSB)
    | (128'd1 << RX_DESC_STA_DD_BIT) | ({127'd0, last_buf_reg} << RX_DESC_STA_EOP_BIT);
/* verilator lint_on UNUSEDSIGNAL */
wire [63:0] wb_qword = wb_desc[127:64];

wire in_wb = (state_reg == STATE_WB);
wire in_data = (state_reg == STATE_DATA_AW) || (state_reg == STATE_DATA_W);
wire resp_err_b = m_axi_bresp[1];
wire resp_err_r = m_axi_rresp[1];

assign ring_head = head_reg;
assign busy = (state_reg != STATE_IDLE) && (state_reg != STATE_STOPPED);
assign stopped = (state_reg == STATE_STOPPED) || draining_reg;

assign m_axi_araddr = {desc_addr_reg[ADDR_WIDTH-1:LANE_W], {LANE_W{1'b0}}};
assign m_axi_arlen = DESC_ARLEN;
assign m_axi_arvalid = (state_reg == STATE_DESC_AR);
assign m_axi_rready = (state_reg == STATE_DESC_R);

assign m_axi_awaddr = in_data ? burst_addr : {wb_addr[ADDR_WIDTH-1:LANE_W], {LANE_W{1'b0}}};
assign m_axi_awlen = in_data ? burst_len : 8'd0;
assign m_axi_awvalid = (state_reg == STATE_DATA_AW) || (in_wb && !aw_done_reg);
assign m_axi_wdata = in_wb ? ({{(DATA_WIDTH-64){1'b0}}, wb_qword} << (wb_lane * 8))
                           : pair_shifted[2*DATA_WIDTH-1:DATA_WIDTH];
assign m_axi_wstrb = in_wb ? ({{(BYTES-8){1'b0}}, 8'hff} << wb_lane)
                           : (strb_off_reg ? {BYTES{1'b0}} : (strb_first & strb_last));
assign m_axi_wlast = in_wb ? 1'b1 : data_beat_last;
assign m_axi_wvalid = data_w_valid || (in_wb && !w_done_reg);
assign m_axi_bready = (state_reg == STATE_DATA_B) || (state_reg == STATE_WB_B);

assign fifo_ready = (data_w_take && have_word) || (dropping && fifo_valid);
wire flushing = (flush_reg != 0);
assign fifo_len_ready = (state_reg == STATE_IDLE) && (enable || flushing) && fifo_len_valid;

assign rx_done = rx_done_reg;
assign rx_miss = rx_miss_reg;
assign stat_toolong = stat_toolong_reg;
assign stat_frame = rx_done_reg;
assign stat_len = frame_len_reg;
assign stat_bcast = rx_done_reg && meta_reg[0];
assign stat_mcast = rx_done_reg && meta_reg[1];
assign dma_err = dma_err_reg;
assign dma_err_addr = dma_err_addr_reg;
assign dma_err_write = dma_err_write_reg;
assign dma_err_resp = dma_err_resp_reg;
assign dma_err_cause = dma_err_cause_reg;

// descriptor beats arrive lowest address first; only ADDR is used (the
// write-back rewrites the upper half whole)
/* verilator lint_off UNUSEDSIGNAL */
wire [127:0] desc_shifted;
/* verilator lint_on UNUSEDSIGNAL */
generate
    if (BYTES >= NIC_DESC_SIZE) begin : g_desc_wide
        // the rest of the beat holds neighbouring descriptors
        /* verilator lint_off UNUSEDSIGNAL */
        wire [DATA_WIDTH-1:0] sel = m_axi_rdata >> {desc_addr_reg[LANE_W-1:0], 3'b000};
        /* verilator lint_on UNUSEDSIGNAL */
        assign desc_shifted = sel[127:0];
    end else begin : g_desc_narrow
        // the low half of the descriptor (ADDR) is consumed as it arrives
        /* verilator lint_off UNUSEDSIGNAL */
        reg [127:0] desc_reg;
        /* verilator lint_on UNUSEDSIGNAL */
        always @(posedge clk) begin
            if (m_axi_rvalid && m_axi_rready) begin
                desc_reg <= desc_shifted;
            end
        end
        assign desc_shifted = {m_axi_rdata, desc_reg[127:DATA_WIDTH]};
    end
endgenerate

wire [15:0] next_buf_len = left_fits ? frame_left_reg : chunk_len;

// a buffer (always at least one byte: buf_len_reg >= 1) lies below
// 2**ADDR_WIDTH when no address bit above the bus is set and its last byte
// does not carry out of the bus's width
wire [63:0] buf_start = desc_shifted[RX_DESC_ADDR_LSB +: 64];
wire [ADDR_WIDTH:0] buf_last = {1'b0, buf_start[ADDR_WIDTH-1:0]} + {{(ADDR_WIDTH-15){1'b0}}, buf_len_reg} - 1;
wire buf_out_of_range = ((buf_start >> ADDR_WIDTH) != 64'd0) || buf_last[ADDR_WIDTH];

always @(posedge clk) begin
    rx_done_reg <= 1'b0;
    rx_miss_reg <= 1'b0;
    stat_toolong_reg <= 1'b0;
    dma_err_reg <= 1'b0;

    if (fifo_ready) begin
        frame_words_reg <= frame_words_reg - 1;
    end

    case (state_reg)
        STATE_IDLE: begin
            abandon_reg <= 1'b0;
            if (fifo_len_ready) begin
                frame_len_reg <= fifo_len;
                meta_reg <= fifo_meta;
                frame_words_reg <= words_of(fifo_len);
                frame_left_reg <= fifo_len;
                count_rem_reg <= fifo_len;
                need_reg <= 16'd0;
                if (flushing) begin
                    // a stale frame from before the ring reset: drop it, counted as missed
                    flush_reg <= flush_reg - 1;
                    rx_miss_reg <= 1'b1;
                    state_reg <= STATE_DROP;
                end else begin
                    state_reg <= STATE_CHECK;
                end
            end
        end
        STATE_CHECK: begin
            avail_reg <= avail;
            if (abandon) begin
                drop_abandoned();
            end else if (!fits_one && chunk_len == 0) begin
                stat_toolong_reg <= 1'b1;
                state_reg <= STATE_DROP;
            end else begin
                state_reg <= STATE_COUNT;
            end
        end
        STATE_COUNT: begin
            if (abandon) begin
                drop_abandoned();
            end else if (need_reg == avail_reg) begin
                rx_miss_reg <= 1'b1;
                state_reg <= STATE_DROP;
            end else begin
                need_reg <= need_reg + 1;
                if (count_fits) begin
                    state_reg <= STATE_DESC;
                end else begin
                    count_rem_reg <= count_rem_reg - chunk_len;
                end
            end
        end
        STATE_DROP: begin
            if (drop_done) begin
                state_reg <= draining_reg ? STATE_STOPPED : STATE_IDLE;
                draining_reg <= 1'b0;
            end
        end
        STATE_DESC: begin
            desc_addr_reg <= desc_addr;
            buf_len_reg <= next_buf_len;
            last_buf_reg <= left_fits;
            if (abandon) begin
                drop_abandoned();
            end else if (desc_out_of_range) begin
                fail(desc_addr_full, 1'b0, 2'b00, NIC_DMA_ERR_CAUSE_RANGE);
            end else begin
                state_reg <= STATE_DESC_AR;
            end
        end
        STATE_DESC_AR: begin
            rd_err_reg <= 1'b0;
            if (m_axi_arready) begin
                state_reg <= STATE_DESC_R;
            end
        end
        STATE_DESC_R: begin
            if (m_axi_rvalid) begin
                if (resp_err_r && !rd_err_reg) begin
                    rd_err_reg <= 1'b1;
                    rd_resp_reg <= m_axi_rresp;
                end
                if (m_axi_rlast) begin
                    if (abandon) begin
                        // the fetched descriptor is thrown away
                        drop_abandoned();
                    end else if (rd_err_reg || resp_err_r) begin
                        fail(bus_addr(desc_addr_reg), 1'b0, rd_err_reg ? rd_resp_reg : m_axi_rresp,
                             NIC_DMA_ERR_CAUSE_BUS);
                    end else if (buf_out_of_range) begin
                        fail(buf_start, 1'b1, 2'b00, NIC_DMA_ERR_CAUSE_RANGE);
                    end else begin
                        addr_reg <= desc_shifted[RX_DESC_ADDR_LSB +: ADDR_WIDTH];
                        shift_reg <= desc_shifted[RX_DESC_ADDR_LSB +: LANE_W];
                        remaining_reg <= buf_len_reg;
                        words_left_reg <= words_of(buf_len_reg);
                        frame_left_reg <= frame_left_reg - buf_len_reg;
                        prev_reg <= 0;
                        state_reg <= STATE_DATA_AW;
                    end
                end
            end
        end
        STATE_DATA_AW: begin
            if (m_axi_awready) begin
                burst_addr_reg <= burst_addr;
                addr_reg <= addr_reg + {{(ADDR_WIDTH-16){1'b0}}, burst_chunk};
                remaining_reg <= remaining_reg - burst_chunk;
                burst_len_reg <= burst_len;
                beat_reg <= 0;
                first_beat_reg <= 1'b1;
                first_lane_reg <= burst_first_lane;
                last_lane_reg <= burst_last_lane;
                last_burst_reg <= (burst_chunk == remaining_reg);
                strb_off_reg <= abandon;
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
                // a beat keeps its strobes until taken; the next one strobes nothing once abandoned
                strb_off_reg <= abandon;
                if (data_beat_last) begin
                    state_reg <= STATE_DATA_B;
                end
            end
        end
        STATE_DATA_B: begin
            if (m_axi_bvalid) begin
                if (abandon) begin
                    drop_abandoned();
                end else if (resp_err_b) begin
                    fail(bus_addr(burst_addr_reg), 1'b1, m_axi_bresp, NIC_DMA_ERR_CAUSE_BUS);
                end else begin
                    state_reg <= last_burst_reg ? STATE_WB : STATE_DATA_AW;
                end
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
                if (resp_err_b && !abandon) begin
                    fail(bus_addr(wb_addr), 1'b1, m_axi_bresp, NIC_DMA_ERR_CAUSE_BUS);
                end else begin
                    // a write-back presented before a ring reset completes (see above)
                    rx_done_reg <= last_buf_reg && !resp_err_b;
                    state_reg <= STATE_NEXT;
                end
            end
        end
        STATE_NEXT: begin
            if (abandon && !last_buf_reg) begin
                drop_abandoned();
            end else if (abandon) begin
                // HEAD stays 0
                state_reg <= STATE_IDLE;
            end else begin
                head_reg <= (head_reg + 16'd1 == ring_len) ? 16'd0 : head_reg + 16'd1;
                state_reg <= last_buf_reg ? STATE_IDLE : STATE_DESC;
            end
        end
        STATE_STOPPED: ;
        default: state_reg <= STATE_IDLE;
    endcase

    if (ring_reset) begin
        head_reg <= 0;
        draining_reg <= 1'b0;   // an error drop in progress ends in IDLE, not STOPPED
        if (state_reg != STATE_IDLE && state_reg != STATE_STOPPED && state_reg != STATE_DROP) begin
            abandon_reg <= 1'b1;
        end
        if (state_reg == STATE_STOPPED || drop_done) begin
            state_reg <= STATE_IDLE;
        end
        if (!enable) begin
            // the frames waiting now, less one being flushed this cycle
            flush_reg <= fifo_frames - (fifo_len_ready ? 1 : 0);
        end
    end

    if (rst) begin
        state_reg <= STATE_IDLE;
        head_reg <= 0;
        frame_words_reg <= 0;
        words_left_reg <= 0;
        aw_done_reg <= 1'b0;
        w_done_reg <= 1'b0;
        rd_err_reg <= 1'b0;
        rx_done_reg <= 1'b0;
        rx_miss_reg <= 1'b0;
        stat_toolong_reg <= 1'b0;
        dma_err_reg <= 1'b0;
        draining_reg <= 1'b0;
        flush_reg <= 0;
        abandon_reg <= 1'b0;
        strb_off_reg <= 1'b0;
    end
end

// a bus address as the 64-bit address the error registers report
function [63:0] bus_addr;
    input [ADDR_WIDTH-1:0] addr;
    begin
        bus_addr = 64'd0;
        bus_addr[ADDR_WIDTH-1:0] = addr;
    end
endfunction

// an error (response or range): report it, then drop what is left of the frame and stop
task fail;
    input [63:0] addr;
    input write;
    input [1:0] resp;
    input [1:0] cause;
    begin
        dma_err_reg <= 1'b1;
        dma_err_addr_reg <= addr;
        dma_err_write_reg <= write;
        dma_err_resp_reg <= resp;
        dma_err_cause_reg <= cause;
        draining_reg <= 1'b1;
        aw_done_reg <= 1'b0;
        w_done_reg <= 1'b0;
        state_reg <= STATE_DROP;
    end
endtask

// leave an abandoned frame: drop what is left of it from the FIFO, counted as missed
task drop_abandoned;
    begin
        rx_miss_reg <= 1'b1;
        aw_done_reg <= 1'b0;
        w_done_reg <= 1'b0;
        state_reg <= STATE_DROP;
    end
endtask

endmodule

`resetall
