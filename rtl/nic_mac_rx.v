/*
 * GMII receive MAC: Ethernet frame in, byte stream out.
 *
 * Strips preamble and SFD, holds back the last 4 bytes (the FCS) in a delay
 * line so m_data carries frame data only, and at the end of the frame emits
 * m_eof with m_eof_good. A frame is bad, in this order of precedence, when it
 * is a runt (< 64 bytes with FCS), longer than max_len, has a bad FCS or saw
 * gmii_rx_er, or is rejected by the address filter; each bad frame bumps
 * exactly one stat_* pulse. The consumer (nic_rx_fifo) commits or drops on
 * m_eof.
 *
 * Every frame is received and checked whatever enable says, so the error
 * counters see all of them; a frame that passes every check is good only if
 * enable is high at its end, otherwise it is dropped and counted in
 * stat_rx_disabled (a missed frame).
 *
 * Framing: a frame is preamble bytes (0x55, any number of them, none
 * included: IEEE 802.3 clause 35 lets the path lose the whole preamble, and
 * sets no upper bound), then the SFD (0xD5), then data. A carrier burst
 * (gmii_rx_dv) that shows any other byte before its SFD, or ends without
 * one (a frame cut in its preamble, a preamble alone, data with no
 * delimiter, garbage from a speed mismatch), is a framing error: the rest of
 * the burst is ignored and it is counted once, in stat_rx_framing, when
 * gmii_rx_dv falls. Nothing is resynchronised on a 0xD5 inside such a burst,
 * so no frame is ever taken from the middle of another. gmii_rx_er during
 * the preamble of a frame whose SFD follows marks that frame as errored
 * (stat_rx_fcs_err), as gmii_rx_er anywhere in it does.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_mac_rx #(
    parameter MIN_FRAME_BYTES = 64  // with FCS
) (
    input  wire        clk,
    input  wire        rst,

    input  wire [7:0]  gmii_rxd,
    input  wire        gmii_rx_dv,
    input  wire        gmii_rx_er,

    input  wire        enable,       // CTRL.RX_EN: admit good frames, sampled at each frame's end
    input  wire [47:0] mac_addr,     // byte 0 (first on the wire) in bits 7:0
    input  wire        bam,
    input  wire        promisc,
    input  wire        allmulti,
    input  wire [63:0] mc_hash,
    input  wire [15:0] max_len,      // with FCS
    input  wire [6:0]  div,          // clocks per byte: 1, 10 or 100

    output wire [7:0]  m_data,
    output wire        m_valid,
    output wire        m_eof,
    output wire        m_eof_good,
    output wire        m_eof_bcast,  // with m_eof: the destination was broadcast
    output wire        m_eof_mcast,  // with m_eof: ... multicast, not broadcast

    output wire        stat_rx_fcs_err,
    output wire        stat_rx_runt,
    output wire        stat_rx_framing,  // a carrier burst without a valid SFD ended
    output wire        stat_rx_filtered,
    output wire        stat_rx_oversize,
    output wire        stat_rx_disabled   // a good frame ended while enable was low
);

localparam [2:0]
    STATE_WAIT_IDLE = 3'd0,  // after reset: let a frame already on the wire pass
    STATE_IDLE = 3'd1,
    STATE_PREAMBLE = 3'd2,
    STATE_DATA = 3'd3,
    STATE_DISCARD = 3'd4;    // a framing error: ignore the burst to its end

reg [2:0] state_reg;

// registered GMII inputs
reg [7:0] rxd_reg;
reg rx_dv_reg;
reg rx_er_reg;

reg [31:0] dly_reg;        // last 4 bytes, newest in 7:0
reg [2:0] dly_cnt_reg;
reg [15:0] byte_cnt_reg;   // data bytes emitted (FCS excluded)
reg [31:0] crc_reg;
reg err_reg;
reg ucast_reg;          // destination still matches mac_addr
reg bcast_reg;          // destination still all ones
reg mcast_reg;          // group bit of the destination
reg [5:0] hash_reg;     // multicast hash index of the destination
reg dv_prev_reg;
reg [6:0] phase_reg;    // clocks since the last byte sample
reg m_eof_bcast_reg;
reg m_eof_mcast_reg;
reg stat_over_reg;

reg [7:0] m_data_reg;
reg m_valid_reg;
reg m_eof_reg;
reg m_eof_good_reg;
reg stat_fcs_reg;
reg stat_runt_reg;
reg stat_framing_reg;
reg stat_filt_reg;
reg stat_disabled_reg;

wire [7:0] out_byte = dly_reg[31:24];
wire [31:0] crc_out;

nic_crc32 crc_inst (
    .crc_in(crc_reg),
    .data_in(out_byte),
    .crc_out(crc_out)
);

// the FCS as received, byte 0 first on the wire = oldest in the delay line
wire [31:0] fcs_rx = {dly_reg[7:0], dly_reg[15:8], dly_reg[23:16], dly_reg[31:24]};
wire fcs_ok = (dly_cnt_reg == 3'd4) && (fcs_rx == ~crc_reg);
wire runt = (byte_cnt_reg < MIN_FRAME_BYTES - 4);
wire [7:0] mac_byte = mac_addr[byte_cnt_reg[2:0]*8 +: 8];
// length with FCS: data bytes + the 4 in the delay line
wire oversize = ({1'b0, byte_cnt_reg} + 17'd4 > {1'b0, max_len});
wire hash_hit = mc_hash[hash_reg];
wire accept = promisc || ucast_reg || (bcast_reg && bam) || (mcast_reg && !bcast_reg && (allmulti || hash_hit));

// byte pacing: sample on the first clock of rx_dv, then every div clocks, and
// on the clock rx_dv falls: at 10 or 100 Mb/s a gap shorter than div clocks
// (a sender at the wrong speed, a burst cut by the link) may hold no paced
// sample, and without this the next burst would be taken as the same one and
// the first one's end never counted
wire dv_rise = rx_dv_reg && !dv_prev_reg;
wire dv_fall = !rx_dv_reg && dv_prev_reg;
wire sample = dv_rise || dv_fall || (phase_reg == 0);

assign m_data = m_data_reg;
assign m_valid = m_valid_reg;
assign m_eof = m_eof_reg;
assign m_eof_good = m_eof_good_reg;
assign m_eof_bcast = m_eof_bcast_reg;
assign m_eof_mcast = m_eof_mcast_reg;
assign stat_rx_oversize = stat_over_reg;
assign stat_rx_fcs_err = stat_fcs_reg;
assign stat_rx_runt = stat_runt_reg;
assign stat_rx_framing = stat_framing_reg;
assign stat_rx_filtered = stat_filt_reg;
assign stat_rx_disabled = stat_disabled_reg;

always @(posedge clk) begin
    rxd_reg <= gmii_rxd;
    rx_dv_reg <= gmii_rx_dv;
    rx_er_reg <= gmii_rx_er;

    m_valid_reg <= 1'b0;
    m_eof_reg <= 1'b0;
    m_eof_good_reg <= 1'b0;
    m_eof_bcast_reg <= 1'b0;
    m_eof_mcast_reg <= 1'b0;
    stat_fcs_reg <= 1'b0;
    stat_runt_reg <= 1'b0;
    stat_framing_reg <= 1'b0;
    stat_filt_reg <= 1'b0;
    stat_over_reg <= 1'b0;
    stat_disabled_reg <= 1'b0;
    dv_prev_reg <= rx_dv_reg;
    if (dv_rise) begin
        phase_reg <= (div > 7'd1) ? 7'd1 : 7'd0;
    end else begin
        phase_reg <= (phase_reg + 7'd1 >= div) ? 7'd0 : phase_reg + 7'd1;
    end

    if (sample) case (state_reg)
        STATE_WAIT_IDLE: begin
            // the registered rx_dv was cleared by the reset itself: the pin says whether a burst goes on
            if (!rx_dv_reg && !gmii_rx_dv) begin
                state_reg <= STATE_IDLE;
            end
        end
        STATE_IDLE: begin
            dly_cnt_reg <= 0;
            byte_cnt_reg <= 0;
            crc_reg <= 32'hffffffff;
            err_reg <= 1'b0;
            ucast_reg <= 1'b1;
            bcast_reg <= 1'b1;
            mcast_reg <= 1'b0;
            if (rx_dv_reg) begin
                if (rxd_reg == 8'hd5) begin
                    state_reg <= STATE_DATA;       // the whole preamble lost on the way
                end else if (rxd_reg == 8'h55) begin
                    state_reg <= STATE_PREAMBLE;
                end else begin
                    state_reg <= STATE_DISCARD;    // data with no delimiter
                end
                err_reg <= rx_er_reg;
            end
        end
        STATE_PREAMBLE: begin
            if (!rx_dv_reg) begin
                state_reg <= STATE_IDLE;           // a preamble without SFD
                stat_framing_reg <= 1'b1;
            end else if (rxd_reg == 8'hd5) begin
                state_reg <= STATE_DATA;
            end else if (rxd_reg != 8'h55) begin
                state_reg <= STATE_DISCARD;        // a frame with no SFD after its preamble
            end
            err_reg <= err_reg | rx_er_reg;
        end
        STATE_DISCARD: begin
            if (!rx_dv_reg) begin
                state_reg <= STATE_IDLE;
                stat_framing_reg <= 1'b1;
            end
        end
        STATE_DATA: begin
            if (rx_dv_reg) begin
                err_reg <= err_reg | rx_er_reg;
                dly_reg <= {dly_reg[23:0], rxd_reg};
                if (dly_cnt_reg == 3'd4) begin
                    m_data_reg <= out_byte;
                    m_valid_reg <= 1'b1;
                    crc_reg <= crc_out;
                    if (byte_cnt_reg < 6) begin
                        ucast_reg <= ucast_reg & (out_byte == mac_byte);
                        bcast_reg <= bcast_reg & (out_byte == 8'hff);
                    end
                    if (byte_cnt_reg == 0) begin
                        mcast_reg <= out_byte[0];
                    end
                    if (byte_cnt_reg == 6) begin
                        hash_reg <= crc_reg[31:26];
                    end
                    if (byte_cnt_reg != 16'hffff) begin
                        byte_cnt_reg <= byte_cnt_reg + 1;
                    end
                end else begin
                    dly_cnt_reg <= dly_cnt_reg + 1;
                end
            end else begin
                m_eof_reg <= 1'b1;
                m_eof_bcast_reg <= bcast_reg;
                m_eof_mcast_reg <= mcast_reg && !bcast_reg;
                state_reg <= STATE_IDLE;
                if (runt) begin
                    stat_runt_reg <= 1'b1;
                end else if (oversize) begin
                    stat_over_reg <= 1'b1;
                end else if (!fcs_ok || err_reg) begin
                    stat_fcs_reg <= 1'b1;
                end else if (!accept) begin
                    stat_filt_reg <= 1'b1;
                end else if (!enable) begin
                    stat_disabled_reg <= 1'b1;
                end else begin
                    m_eof_good_reg <= 1'b1;
                end
            end
        end
        default: state_reg <= STATE_IDLE;
    endcase

    if (rst) begin
        state_reg <= STATE_WAIT_IDLE;
        rx_dv_reg <= 1'b0;
        rx_er_reg <= 1'b0;
        m_valid_reg <= 1'b0;
        m_eof_reg <= 1'b0;
        m_eof_good_reg <= 1'b0;
        stat_fcs_reg <= 1'b0;
        stat_runt_reg <= 1'b0;
        stat_framing_reg <= 1'b0;
        stat_filt_reg <= 1'b0;
        stat_over_reg <= 1'b0;
        stat_disabled_reg <= 1'b0;
        dv_prev_reg <= 1'b0;
        phase_reg <= 7'd0;
    end
end

endmodule

`resetall
