/*
 * GMII transmit MAC: byte stream in, Ethernet frame out.
 *
 * Sends 7 preamble bytes (0x55), the SFD (0xd5), the data, zero padding up to
 * 60 bytes, the FCS (4 bytes, LSB first) and then keeps gmii_tx_en low for at
 * least IFG_BYTES byte times. A frame starts only when start_ok is high (the
 * TX FIFO holds a whole frame, see nic_tx_fifo); after that the data must
 * keep up at one byte per cycle. If it does not (underrun, possible only for a
 * frame larger than the TX FIFO), gmii_tx_er marks the cycle so the receiver
 * discards the frame. A frame the DMA cut short while it was going out
 * cut-through (s_axis_tuser with tlast) is marked the same way on its last
 * byte; otherwise gmii_tx_er stays 0.
 *
 * No carrier: whether a frame is sent is decided once, when it is due to
 * start, on the step that puts its first preamble byte out (at any speed the
 * PHY sees gmii_tx_en the clock after the MAC saw its carrier). Without carrier (the PHY has no link) the frame is read out and
 * thrown away at one byte per clock, whatever the speed, with gmii_tx_en low,
 * and counted in stat_tx_no_carrier instead of stat_tx_frame; the IFG is not
 * needed since nothing reached the wire. A frame already on the wire when
 * the carrier goes is finished as usual (the PHY truncates it).
 *
 * Speed: the MAC advances only on cycles with ce; at 100 and 10 Mb/s the top
 * pulses ce every 10 or 100 clocks, so each GMII byte lasts that long (byte
 * pacing on the 8-bit interface). stat_tx_len (the frame's bytes as read from
 * host memory: no padding, no FCS) and stat_tx_bcast/mcast come with
 * stat_tx_frame.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_mac_tx #(
    parameter IFG_BYTES = 12,
    parameter MIN_FRAME_BYTES = 60  // without FCS
) (
    input  wire        clk,
    input  wire        rst,

    input  wire [7:0]  s_axis_tdata,
    input  wire        s_axis_tvalid,
    output wire        s_axis_tready,
    input  wire        s_axis_tlast,
    input  wire        s_axis_tuser,   // with tlast: abort, end the frame with gmii_tx_er
    input  wire        start_ok,
    input  wire        ce,
    input  wire        carrier,        // the PHY has link (or the MAC loops back)

    output wire [7:0]  gmii_txd,
    output wire        gmii_tx_en,
    output wire        gmii_tx_er,

    output wire        busy,           // a frame is being sent (up to its FCS) or discarded

    output wire        stat_tx_frame,  // pulse: a frame's last FCS byte was sent
    output wire [15:0] stat_tx_len,    // with stat_tx_frame: its bytes without padding and FCS
    output wire        stat_tx_bcast,  // with stat_tx_frame: destination was broadcast
    output wire        stat_tx_mcast,  // ... multicast, not broadcast
    output wire        stat_tx_no_carrier  // pulse: a frame was discarded for want of carrier
);

localparam [2:0]
    STATE_IDLE = 3'd0,
    STATE_PREAMBLE = 3'd1,
    STATE_DATA = 3'd2,
    STATE_PAD = 3'd3,
    STATE_FCS = 3'd4,
    STATE_IFG = 3'd5,
    STATE_DISCARD = 3'd6;   // no carrier at the start: drain the frame unsent

reg [2:0] state_reg, state_next;
reg [15:0] count_reg, count_next;   // bytes of the current phase
reg [15:0] len_reg, len_next;       // data bytes of the frame, for the octet counter
reg [31:0] crc_reg, crc_next;

reg [7:0] gmii_txd_reg, gmii_txd_next;
reg gmii_tx_en_reg, gmii_tx_en_next;
reg gmii_tx_er_reg, gmii_tx_er_next;
reg stat_tx_frame_reg, stat_tx_frame_next;
reg stat_no_carrier_reg, stat_no_carrier_next;
reg bcast_reg, bcast_next;
reg mcast_reg, mcast_next;

reg [7:0] crc_data;
wire [31:0] crc_out;

nic_crc32 crc_inst (
    .crc_in(crc_reg),
    .data_in(crc_data),
    .crc_out(crc_out)
);

// discarding is not paced: nothing goes on the wire, so it runs every clock
wire discard = (state_reg == STATE_DISCARD);
wire step = ce || discard;

assign s_axis_tready = ((state_reg == STATE_DATA) && ce) || discard;
assign gmii_txd = gmii_txd_reg;
assign gmii_tx_en = gmii_tx_en_reg;
assign gmii_tx_er = gmii_tx_er_reg;
assign busy = (state_reg != STATE_IDLE) && (state_reg != STATE_IFG);
assign stat_tx_frame = stat_tx_frame_reg;
assign stat_tx_len = len_reg;
assign stat_tx_no_carrier = stat_no_carrier_reg;
assign stat_tx_bcast = stat_tx_frame_reg && bcast_reg;
assign stat_tx_mcast = stat_tx_frame_reg && mcast_reg && !bcast_reg;

always @* begin
    state_next = state_reg;
    count_next = count_reg;
    len_next = len_reg;
    crc_next = crc_reg;
    crc_data = (state_reg == STATE_DATA) ? s_axis_tdata : 8'd0;

    gmii_txd_next = 8'd0;
    gmii_tx_en_next = 1'b0;
    gmii_tx_er_next = 1'b0;
    stat_tx_frame_next = 1'b0;
    stat_no_carrier_next = 1'b0;
    bcast_next = bcast_reg;
    mcast_next = mcast_reg;

    case (state_reg)
        STATE_IDLE: begin
            count_next = 0;
            crc_next = 32'hffffffff;
            if (s_axis_tvalid && start_ok) begin
                if (carrier) begin
                    // the first preamble byte goes out on the clock the carrier is decided: at 100
                    // and 10 Mb/s a byte lasts 10 or 100 clocks, and a link drop in that wait would
                    // otherwise close the PHY's transmit path (two clocks of grace) under a frame
                    // this MAC goes on to count as sent
                    gmii_tx_en_next = 1'b1;
                    gmii_txd_next = 8'h55;
                    count_next = 1;
                    state_next = STATE_PREAMBLE;
                end else begin
                    state_next = STATE_DISCARD;
                end
            end
        end
        STATE_PREAMBLE: begin
            gmii_tx_en_next = 1'b1;
            count_next = count_reg + 1;
            if (count_reg == 7) begin
                gmii_txd_next = 8'hd5;
                count_next = 0;
                state_next = STATE_DATA;
            end else begin
                gmii_txd_next = 8'h55;
            end
        end
        STATE_DATA: begin
            gmii_tx_en_next = 1'b1;
            if (s_axis_tvalid) begin
                gmii_txd_next = s_axis_tdata;
                if (count_reg == 0) begin
                    mcast_next = s_axis_tdata[0];
                    bcast_next = (s_axis_tdata == 8'hff);
                end else if (count_reg < 6) begin
                    bcast_next = bcast_reg && (s_axis_tdata == 8'hff);
                end
                crc_next = crc_out;
                count_next = count_reg + 1;
                if (s_axis_tlast) begin
                    gmii_tx_er_next = s_axis_tuser;
                    len_next = count_reg + 1;
                    if (count_reg + 1 < MIN_FRAME_BYTES) begin
                        state_next = STATE_PAD;
                    end else begin
                        count_next = 0;
                        state_next = STATE_FCS;
                    end
                end
            end else begin
                gmii_tx_er_next = 1'b1;  // underrun
            end
        end
        STATE_PAD: begin
            gmii_tx_en_next = 1'b1;
            gmii_txd_next = 8'd0;
            crc_next = crc_out;
            count_next = count_reg + 1;
            if (count_reg + 1 == MIN_FRAME_BYTES) begin
                count_next = 0;
                state_next = STATE_FCS;
            end
        end
        STATE_FCS: begin
            gmii_tx_en_next = 1'b1;
            gmii_txd_next = ~crc_reg[count_reg[1:0]*8 +: 8];
            count_next = count_reg + 1;
            if (count_reg == 3) begin
                count_next = 0;
                stat_tx_frame_next = 1'b1;
                state_next = STATE_IFG;
            end
        end
        STATE_IFG: begin
            // IDLE sends the next preamble's first byte on the step it leaves, so the IFG is all here
            count_next = count_reg + 1;
            if (count_reg + 1 >= IFG_BYTES) begin
                state_next = STATE_IDLE;
            end
        end
        STATE_DISCARD: begin
            if (s_axis_tvalid && s_axis_tlast) begin
                stat_no_carrier_next = 1'b1;
                state_next = STATE_IDLE;
            end
        end
        default: state_next = STATE_IDLE;
    endcase
end

always @(posedge clk) begin
    stat_tx_frame_reg <= 1'b0;
    stat_no_carrier_reg <= 1'b0;
    if (step) begin
        state_reg <= state_next;
        count_reg <= count_next;
        len_reg <= len_next;
        crc_reg <= crc_next;
        gmii_txd_reg <= gmii_txd_next;
        gmii_tx_en_reg <= gmii_tx_en_next;
        gmii_tx_er_reg <= gmii_tx_er_next;
        stat_tx_frame_reg <= stat_tx_frame_next;
        stat_no_carrier_reg <= stat_no_carrier_next;
        bcast_reg <= bcast_next;
        mcast_reg <= mcast_next;
    end

    if (rst) begin
        state_reg <= STATE_IDLE;
        count_reg <= 0;
        len_reg <= 0;
        crc_reg <= 32'hffffffff;
        gmii_txd_reg <= 8'd0;
        gmii_tx_en_reg <= 1'b0;
        gmii_tx_er_reg <= 1'b0;
        stat_tx_frame_reg <= 1'b0;
        stat_no_carrier_reg <= 1'b0;
        bcast_reg <= 1'b0;
        mcast_reg <= 1'b0;
    end
end

endmodule

`resetall
