/*
 * Testbench wire-error injector (not synthesized): sits on one direction of
 * a GMII cable (nic_pair_tb: between the sending PHY's line side and the
 * receiving PHY) and spoils the next frame that starts after it is armed.
 *
 * Armed by one write of fault = {arm, kind[2:0], pos[13:0]} with arm
 * toggled (one signal write per frame from Python, no wake-up); left
 * undriven (z/x) or never toggled it passes the line through unchanged.
 * Each arm spoils exactly one carrier burst: the first whose carrier rises
 * after the toggle (an arm during a burst waits for the next one). Bytes are
 * counted at the sender's pace as gmii_pcap and nic_mac_rx take them (a
 * byte every 1, 10 or 100 clocks for speed 0, 1, 2/3), pos counting the
 * bytes after the SFD from 0 (the destination's first byte). Kinds:
 *   1 FCS   bit 0 of byte pos flipped, so the FCS does not match (the
 *           receiver's STAT_RX_FCS_ERR; a pos inside the frame's last four
 *           bytes flips a bit of the FCS itself)
 *   2 ER    tx_er asserted for byte pos (STAT_RX_FCS_ERR)
 *   3 CUT   carrier dropped from byte pos on, the rest of the burst never
 *           reaches the receiver (pos < 64: STAT_RX_RUNT; else FCS error)
 *   4 NOSFD the SFD byte (0xD5) sent as preamble (0x55): the frame has no
 *           SFD (STAT_RX_FRAMING)
 * A pos past the frame's end spoils nothing (the burst still uses up the arm).
 * fired counts the bursts an arm was applied to (wraps at 16 bits); armed is
 * 1 while an arm waits for a burst.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module gmii_fault_inject (
    input  wire        clk,
    input  wire        rst,

    input  wire [17:0] fault,          // {arm (toggle), kind[2:0], pos[13:0]}
    input  wire [1:0]  speed,          // the sender's: 0 = 1000, 1 = 100, 2/3 = 10 Mb/s

    input  wire [7:0]  gmii_in_txd,
    input  wire        gmii_in_tx_en,
    input  wire        gmii_in_tx_er,

    output wire [7:0]  gmii_out_txd,
    output wire        gmii_out_tx_en,
    output wire        gmii_out_tx_er,

    output reg  [15:0] fired,
    output wire        armed
);

localparam [2:0] KIND_FCS = 3'd1, KIND_ER = 3'd2, KIND_CUT = 3'd3, KIND_NOSFD = 3'd4;

// an undriven input reads z/x under Icarus and 0 under Verilator: only a
// real 1 counts, so a bench that never drives fault never arms
wire arm_bit = fault[17] === 1'b1;

wire [6:0] div = (speed == 2'd0) ? 7'd1 : (speed == 2'd1) ? 7'd10 : 7'd100;

reg arm_seen_reg;   // the arm bit's value when last taken
reg armed_reg;
reg [2:0] kind_reg;
reg [13:0] pos_reg;

reg in_burst_reg;
reg [6:0] phase_reg;   // clocks since the current byte began
reg active_reg;        // this burst carries the fault
reg [2:0] act_kind_reg;
reg [13:0] act_pos_reg;
reg data_reg;          // the current byte is after the SFD
reg sfd_reg;           // the current byte is the SFD
reg [13:0] idx_reg;   // the current data byte's index

wire start = gmii_in_tx_en && !in_burst_reg;
wire new_byte = gmii_in_tx_en && (start || phase_reg == 7'd0);

// the current byte, decided on its first clock and held for the rest of it
wire cur_data = new_byte ? (!start && (data_reg || sfd_reg)) : data_reg;
wire cur_sfd = new_byte ? (!cur_data && gmii_in_txd == 8'hD5) : sfd_reg;
wire [13:0] cur_idx = new_byte ? (data_reg ? idx_reg + 14'd1 : 14'd0) : idx_reg;

wire act = start ? armed_reg : active_reg;
wire [2:0] kind = start ? kind_reg : act_kind_reg;
wire [13:0] pos = start ? pos_reg : act_pos_reg;

wire hit = act && cur_data && cur_idx == pos;
wire cut = act && kind == KIND_CUT && cur_data && cur_idx >= pos;
wire hide_sfd = act && kind == KIND_NOSFD && cur_sfd;

assign gmii_out_tx_en = gmii_in_tx_en && !cut;
assign gmii_out_txd = cut ? 8'd0
                    : hide_sfd ? 8'h55
                    : gmii_in_txd ^ {7'd0, hit && kind == KIND_FCS};
assign gmii_out_tx_er = !cut && (gmii_in_tx_er || (hit && kind == KIND_ER));
assign armed = armed_reg;

always @(posedge clk) begin
    if (arm_bit != arm_seen_reg) begin
        arm_seen_reg <= arm_bit;
        armed_reg <= 1'b1;
        kind_reg <= fault[16:14];
        pos_reg <= fault[13:0];
    end else if (start && armed_reg) begin
        armed_reg <= 1'b0;
    end

    in_burst_reg <= gmii_in_tx_en;
    if (!in_burst_reg) begin
        phase_reg <= (div > 7'd1) ? 7'd1 : 7'd0;
    end else begin
        phase_reg <= (phase_reg + 7'd1 >= div) ? 7'd0 : phase_reg + 7'd1;
    end

    if (gmii_in_tx_en) begin
        data_reg <= cur_data;
        sfd_reg <= cur_sfd;
        idx_reg <= cur_idx;
    end else begin
        data_reg <= 1'b0;
        sfd_reg <= 1'b0;
        idx_reg <= 14'd0;
    end

    if (start) begin
        active_reg <= armed_reg;
        act_kind_reg <= kind_reg;
        act_pos_reg <= pos_reg;
        if (armed_reg) begin
            fired <= fired + 16'd1;
        end
    end else if (!gmii_in_tx_en) begin
        active_reg <= 1'b0;
    end

    if (rst) begin
        // what the arm bit holds at reset arms nothing
        arm_seen_reg <= arm_bit;
        in_burst_reg <= 1'b0;
        data_reg <= 1'b0;
        sfd_reg <= 1'b0;
        idx_reg <= 14'd0;
        phase_reg <= 7'd0;
        active_reg <= 1'b0;
        armed_reg <= 1'b0;
        fired <= 16'd0;
    end
end

endmodule

`resetall
