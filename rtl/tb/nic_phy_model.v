/*
 * Behavioural gigabit PHY for the testbench (not synthesized): an MDIO
 * (clause 22) slave with the standard registers, auto-negotiation against a
 * link partner (another nic_phy_model across the cable), loopback, and a
 * GMII data path that passes frames while the link is up, and garbles them
 * when the MAC's speed differs from the resolved speed.
 *
 * Registers (IEEE 802.3 clause 22 / 28 / 40). Every register says what the
 * PHY advertises and what it resolved, whatever changed it (a register
 * write, the test's adv_withhold, the partner, the cable):
 *   0 BMCR    15 reset (self-clearing), 14 loopback, 13/6 speed select
 *             (forced mode), 12 AN enable, 11 power down, 10 isolate,
 *             9 restart AN (self-clearing), 8 full duplex    reset 0x1140
 *   1 BMSR    100FD, 10FD, extended status, AN complete (AN enabled and
 *             the link up at the resolved mode: never in forced mode or
 *             without a common mode), AN ability, link status (latched
 *             low: reads 0 once after a drop), ext cap
 *   2/3 PHYID1/2 (PHY_ID)
 *   4 ANAR    bit 8 100FD, bit 6 10FD, selector 1: what this PHY advertises
 *             (writable; an ability the test withholds reads 0) reset 0x0141
 *   5 ANLPAR  the partner's page once AN completes (bit 14 ACK), or the
 *             technology found by parallel detection; 0 otherwise
 *   6 ANER    bit 0 the partner is AN able (its page was received)
 *   9 GBCR    bit 9 1000FD advertised (writable; withheld reads 0) reset 0x0200
 *  10 GBSR    bit 11 the partner's page advertises 1000FD
 *  15 ESTATUS bit 13 1000BASE-T FD
 * Only full duplex is modelled (the MAC has no collision handling), so the
 * half-duplex ability bits read 0 and cannot be set.
 *
 * Auto-negotiation: AN_DELAY clocks after the line becomes usable (cable in,
 * both PHYs powered) or after anything that restarts it (BMCR restart or
 * reset on either side, a change of either side's advertisement, the
 * partner's link dropping, a change of either side's AN enable or forced
 * speed), the link comes up at the highest mode both advertise
 * (1000FD > 100FD > 10FD), or stays down if they share none. A
 * BMCR restart or reset is passed to the partner (restart_out), so both
 * ends drop and regain the link on the same clock: no frame is sent by one
 * end while the other cannot receive it. With AN disabled the link comes
 * up at the BMCR-forced speed if the partner is forced to the same speed,
 * or if the partner auto-negotiates and finds that speed by parallel
 * detection (IEEE 802.3 28.2.3.1: 100 and 10 only, and here only if the
 * detecting PHY advertises it; 1000BASE-T needs AN, 40.5.1). A forced PHY
 * receives no page: its BMSR AN complete, ANLPAR and GBSR read 0.
 * resolved_speed uses the MAC's CTRL.SPEED encoding (0 = 1000, 1 = 100,
 * 2 = 10).
 *
 * Data path: frames pass (one clock of latency each way) while the link is
 * up and the PHY is neither isolated nor powered down; otherwise both
 * directions see an idle line. Only whole frames start to pass: a frame the
 * path closes on is cut there (the receiver counts what it got: a framing
 * error, runt or FCS error), and one
 * already under way when the path opens is held back to its end, so no
 * receiver ever sees one frame as two. The transmit path closes two clocks
 * after link_up falls: the MAC decides a frame's carrier from link_up the
 * clock before the frame's first byte reaches the PHY, so a frame it
 * decided to send always leaves at least its first byte on the line, and
 * the far end counts the fragment (nothing the MAC counted as sent
 * vanishes). The receive path takes whatever the line carries (only an
 * isolated or powered-down PHY shuts it): the partner puts on the line only
 * what its own transmit path passed, so every burst on the cable reaches
 * the MAC, also in the clock or two by which the partner's link drop (one
 * clock after this PHY's, when it follows it) or link-up may differ. Speed mismatch (mac_speed differs from
 * resolved_speed): data still passes both ways, but with tx_er/rx_er forced
 * to 1 from the first byte of a frame sent or received during the mismatch
 * to its end, as a MAC clocking GMII/MII at the wrong rate produces garbage
 * the far end receives and counts (runt, oversize or FCS error), never a
 * frame that vanishes uncounted. BMCR loopback returns the MAC's transmit
 * data to it and sends nothing on the cable.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_phy_model #(
    parameter [4:0] PHY_ADDR = 5'd1,
    parameter [31:0] PHY_ID = 32'h7e570e11,
    parameter AN_DELAY = 250            // clocks from line-up/restart to link (2 us at 125 MHz)
) (
    input  wire        clk,
    input  wire        rst,

    // MAC side (GMII)
    input  wire [7:0]  mac_txd,
    input  wire        mac_tx_en,
    input  wire        mac_tx_er,
    output reg  [7:0]  mac_rxd,
    output reg         mac_rx_dv,
    output reg         mac_rx_er,
    input  wire [1:0]  mac_speed,
    output wire        link_up,

    // MDIO slave: mdio_i is the line, mdio_o/mdio_oe what this PHY drives
    input  wire        mdc,
    input  wire        mdio_i,
    output reg         mdio_o,
    output reg         mdio_oe,

    // cable side
    output reg  [7:0]  line_txd,
    output reg         line_tx_en,
    output reg         line_tx_er,
    input  wire [7:0]  line_rxd,
    input  wire        line_rx_en,
    input  wire        line_rx_er,

    // auto-negotiation with the partner, and the test's hands on the cable
    // what this PHY offers the partner: {AN enabled, forced {1000, 100, 10}
    // (one-hot, AN disabled), advertised {1000FD, 100FD, 10FD} (AN enabled)}
    output wire [6:0]  offer,
    output wire        powered,         // not in reset or power-down
    input  wire [6:0]  partner_offer,
    input  wire        partner_powered,
    input  wire        partner_link,
    input  wire        cable_ok,        // 0: cable pulled
    input  wire [2:0]  adv_withhold,    // abilities the test removes from this PHY's advertisement
    output wire [1:0]  resolved_speed,
    output wire        restart_out,     // BMCR restart or reset now: the partner restarts with this PHY
    input  wire        partner_restart
);

// ------------------------------------------------------------ registers

reg [15:0] bmcr_reg;
reg [1:0] anar_reg;       // {100FD, 10FD}
reg gbcr_reg;             // 1000FD
reg link_reg;
reg link_latch_reg;
reg an_done_reg;
reg [1:0] speed_reg;
reg [2:0] lp_adv_reg;     // partner's page as received
reg lp_an_reg;            // the partner's page was received (ANER bit 0)
reg [31:0] an_cnt_reg;
reg [6:0] offer_prev_reg;
reg [6:0] partner_offer_prev_reg;
reg partner_link_prev_reg;
reg line_ok_prev_reg;
reg [3:0] reset_cnt_reg;  // BMCR.RESET reads 1 for a few clocks

wire an_enable = bmcr_reg[12];
wire pdown = bmcr_reg[11];
wire isolate = bmcr_reg[10];
wire loopback = bmcr_reg[14];
wire [2:0] adv = {gbcr_reg, anar_reg} & ~adv_withhold;
wire [1:0] forced_speed = bmcr_reg[6] ? 2'd0 : (bmcr_reg[13] ? 2'd1 : 2'd2);
wire [2:0] forced = {forced_speed == 2'd0, forced_speed == 2'd1, forced_speed == 2'd2};
assign offer = an_enable ? {1'b1, 3'b000, adv} : {1'b0, forced, 3'b000};
wire partner_an = partner_offer[6];
wire [2:0] partner_forced = partner_offer[5:3];
wire [2:0] partner_adv = partner_offer[2:0];
assign powered = !pdown && reset_cnt_reg == 0;
assign link_up = link_reg;
assign resolved_speed = speed_reg;

wire line_ok = (cable_ok === 1'b1) && powered && partner_powered;
wire [2:0] common = adv & partner_adv;
// parallel detection of a forced partner: 100 or 10 only, if advertised
wire [2:0] detected = partner_forced & adv & 3'b011;

// AN completes only on a link at the resolved mode (IEEE 802.3 28.3.4: AN
// GOOD needs link_status_[HCD] = OK); with no common mode it never does
wire an_acomp = an_enable && an_done_reg && link_reg;

function [15:0] reg_value;
    input [4:0] addr;
    begin
        case (addr)
            5'd0: reg_value = bmcr_reg | (reset_cnt_reg != 0 ? 16'h8000 : 16'h0000);
            5'd1: reg_value = 16'h5109 | {10'd0, an_acomp, 2'b00, link_latch_reg, 2'b00};
            5'd2: reg_value = PHY_ID[31:16];
            5'd3: reg_value = PHY_ID[15:0];
            5'd4: reg_value = {7'd0, adv[1], 1'b0, adv[0], 6'b000001};
            5'd5: reg_value = an_acomp ? {1'b0, lp_an_reg, 5'd0, lp_adv_reg[1], 1'b0, lp_adv_reg[0], 6'b000001}
                                       : 16'd0;
            5'd6: reg_value = {15'd0, an_acomp && lp_an_reg};
            5'd9: reg_value = {6'd0, adv[2], 9'd0};
            5'd10: reg_value = {4'd0, an_acomp && lp_adv_reg[2], 11'd0};
            5'd15: reg_value = 16'h2000;
            default: reg_value = 16'd0;
        endcase
    end
endfunction

// ------------------------------------------------------------ MDIO slave

reg mdc_prev_reg;
reg [5:0] ones_reg;       // consecutive ones seen (preamble), saturating
reg in_frame_reg;
reg [6:0] idx_reg;        // index of the next bit to sample
reg [11:0] hdr_reg;       // ST1, OP, PHYAD, REGAD[4:1] as they arrive
reg [15:0] data_reg;
reg reading_reg;
reg [4:0] regad_reg;

wire mdc_rise = mdc && !mdc_prev_reg;
wire mdc_fall = !mdc && mdc_prev_reg;
wire [1:0] hdr_op = hdr_reg[11:10];
wire [4:0] hdr_phy = hdr_reg[9:5];
wire mdio_bit = (mdio_i === 1'b0) ? 1'b0 : 1'b1;   // an undriven line reads 1 (pull-up)

// register writes from MDIO, applied in the main block
reg wr_stb;
reg [4:0] wr_addr;
reg [15:0] wr_val;
reg bmsr_read_stb;

always @(posedge clk) begin
    mdc_prev_reg <= mdc;
    wr_stb <= 1'b0;
    bmsr_read_stb <= 1'b0;

    if (mdc_rise) begin
        if (!in_frame_reg) begin
            if (mdio_bit) begin
                ones_reg <= (ones_reg == 6'd32) ? ones_reg : ones_reg + 1;
            end else begin
                if (ones_reg == 6'd32) begin
                    in_frame_reg <= 1'b1;   // ST's first bit (0) is bit 32 of the frame
                    idx_reg <= 7'd33;
                    hdr_reg <= 12'd0;
                    reading_reg <= 1'b0;
                end
                ones_reg <= 6'd0;
            end
        end else begin
            idx_reg <= idx_reg + 1;
            if (idx_reg <= 7'd45) begin
                hdr_reg <= {hdr_reg[10:0], mdio_bit};
            end
            if (idx_reg == 7'd45) begin
                // before this shift hdr_reg[11:0] = {ST1, OP, PHYAD, REGAD[4:1]}
                regad_reg <= {hdr_reg[3:0], mdio_bit};
                if (hdr_reg[10:9] == 2'b10 && hdr_reg[8:4] == PHY_ADDR) begin
                    reading_reg <= 1'b1;
                    data_reg <= reg_value({hdr_reg[3:0], mdio_bit});
                    bmsr_read_stb <= ({hdr_reg[3:0], mdio_bit} == 5'd1);
                end
            end
            if (idx_reg >= 7'd48 && idx_reg <= 7'd63 && !reading_reg) begin
                data_reg <= {data_reg[14:0], mdio_bit};
            end
            if (idx_reg == 7'd63 && !reading_reg) begin
                in_frame_reg <= 1'b0;
                ones_reg <= 6'd0;
                if (hdr_op == 2'b01 && hdr_phy == PHY_ADDR) begin
                    wr_stb <= 1'b1;
                    wr_addr <= regad_reg;
                    wr_val <= {data_reg[14:0], mdio_bit};
                end
            end
        end
    end

    if (mdc_fall && in_frame_reg && reading_reg) begin
        // idx_reg is the bit that begins now
        if (idx_reg == 7'd47) begin
            mdio_oe <= 1'b1;
            mdio_o <= 1'b0;
        end else if (idx_reg >= 7'd48 && idx_reg <= 7'd63) begin
            mdio_oe <= 1'b1;
            mdio_o <= data_reg[4'd15 - idx_reg[3:0]];
        end else if (idx_reg >= 7'd64) begin
            mdio_oe <= 1'b0;
            in_frame_reg <= 1'b0;
            reading_reg <= 1'b0;
            ones_reg <= 6'd0;
        end
    end

    if (rst) begin
        mdc_prev_reg <= 1'b0;
        ones_reg <= 6'd0;
        in_frame_reg <= 1'b0;
        reading_reg <= 1'b0;
        mdio_o <= 1'b1;
        mdio_oe <= 1'b0;
        wr_stb <= 1'b0;
        bmsr_read_stb <= 1'b0;
    end
end

// ------------------------------------------------------ registers and AN

wire self_restart = wr_stb && wr_addr == 5'd0 && (wr_val[9] || wr_val[15]);
assign restart_out = self_restart;
wire restart = self_restart || partner_restart
    || (offer != offer_prev_reg) || (partner_offer != partner_offer_prev_reg)
    || (!partner_link && partner_link_prev_reg && link_reg)
    || (line_ok && !line_ok_prev_reg);

always @(posedge clk) begin
    offer_prev_reg <= offer;
    partner_offer_prev_reg <= partner_offer;
    partner_link_prev_reg <= partner_link;
    line_ok_prev_reg <= line_ok;
    if (reset_cnt_reg != 0) begin
        reset_cnt_reg <= reset_cnt_reg - 1;
    end

    if (wr_stb) begin
        case (wr_addr)
            5'd0: begin
                if (wr_val[15]) begin
                    bmcr_reg <= 16'h1140;
                    anar_reg <= 2'b11;
                    gbcr_reg <= 1'b1;
                    reset_cnt_reg <= 4'd15;
                end else begin
                    // restart AN and duplex are not stored; full duplex only
                    bmcr_reg <= (wr_val & 16'h7c40) | 16'h0100;
                end
            end
            5'd4: anar_reg <= {wr_val[8], wr_val[6]};
            5'd9: gbcr_reg <= wr_val[9];
            default: ;
        endcase
    end

    if (!link_reg) begin
        link_latch_reg <= 1'b0;
    end else if (bmsr_read_stb) begin
        link_latch_reg <= 1'b1;
    end

    if (!line_ok || restart) begin
        link_reg <= 1'b0;
        an_done_reg <= 1'b0;
        an_cnt_reg <= 32'd0;
    end else if (!an_done_reg) begin
        an_cnt_reg <= an_cnt_reg + 1;
        if (an_cnt_reg + 1 >= AN_DELAY) begin
            an_done_reg <= 1'b1;
            // ANLPAR: the partner's page, or the technology parallel detection found
            lp_an_reg <= partner_an;
            lp_adv_reg <= partner_an ? partner_adv : detected;
            if (!an_enable) begin
                // forced: a forced partner at the same speed, or one that detects it
                if (partner_an ? (forced & partner_adv & 3'b011) != 0 : forced == partner_forced) begin
                    link_reg <= 1'b1;
                    speed_reg <= forced_speed;
                end
            end else if (!partner_an) begin
                if (detected[1]) begin
                    link_reg <= 1'b1;
                    speed_reg <= 2'd1;
                end else if (detected[0]) begin
                    link_reg <= 1'b1;
                    speed_reg <= 2'd2;
                end
            end else if (common[2]) begin
                link_reg <= 1'b1;
                speed_reg <= 2'd0;
            end else if (common[1]) begin
                link_reg <= 1'b1;
                speed_reg <= 2'd1;
            end else if (common[0]) begin
                link_reg <= 1'b1;
                speed_reg <= 2'd2;
            end
        end
    end

    if (rst) begin
        bmcr_reg <= 16'h1140;
        anar_reg <= 2'b11;
        gbcr_reg <= 1'b1;
        link_reg <= 1'b0;
        link_latch_reg <= 1'b0;
        an_done_reg <= 1'b0;
        an_cnt_reg <= 32'd0;
        speed_reg <= 2'd0;
        lp_adv_reg <= 3'd0;
        lp_an_reg <= 1'b0;
        reset_cnt_reg <= 4'd0;
        offer_prev_reg <= 7'b1000111;
        partner_offer_prev_reg <= 7'b1000111;
        partner_link_prev_reg <= 1'b0;
        line_ok_prev_reg <= 1'b0;
    end
end

// ------------------------------------------------------------ data path

wire mac_speed_ok = (mac_speed == speed_reg) || (mac_speed == 2'd3 && speed_reg == 2'd2);
// transmit: open while the link is up and two clocks after it drops (see the header)
reg [1:0] tx_grace_reg;
wire pass_tx = (link_reg || tx_grace_reg != 2'd0) && !isolate && !pdown;
wire pass_rx = !isolate && !pdown;
// a frame the path was closed for at any point is held back from there to its end
reg tx_block_reg;
reg rx_block_reg;
wire tx_block = mac_tx_en && (!pass_tx || tx_block_reg);
wire rx_block = line_rx_en && (!pass_rx || rx_block_reg);
// a frame that meets the mismatch is garbled from there to its end, even if the speeds agree again
reg tx_garble_reg;
reg rx_garble_reg;
wire tx_garble = mac_tx_en && (!mac_speed_ok || tx_garble_reg);
wire rx_garble = line_rx_en && (!mac_speed_ok || rx_garble_reg);

always @(posedge clk) begin
    if (loopback && !isolate && !pdown) begin
        mac_rxd <= mac_txd;
        mac_rx_dv <= mac_tx_en;
        mac_rx_er <= mac_tx_er;
        line_txd <= 8'd0;
        line_tx_en <= 1'b0;
        line_tx_er <= 1'b0;
    end else begin
        mac_rxd <= rx_block ? 8'd0 : line_rxd;
        mac_rx_dv <= line_rx_en && !rx_block;
        mac_rx_er <= (line_rx_er || rx_garble) && !rx_block;
        line_txd <= tx_block ? 8'd0 : mac_txd;
        line_tx_en <= mac_tx_en && !tx_block;
        line_tx_er <= (mac_tx_er || tx_garble) && !tx_block;
    end

    tx_grace_reg <= link_reg ? 2'd2 : (tx_grace_reg != 2'd0 ? tx_grace_reg - 2'd1 : 2'd0);
    tx_block_reg <= tx_block;
    rx_block_reg <= rx_block;
    tx_garble_reg <= tx_garble;
    rx_garble_reg <= rx_garble;

    if (rst) begin
        mac_rx_dv <= 1'b0;
        mac_rx_er <= 1'b0;
        line_tx_en <= 1'b0;
        line_tx_er <= 1'b0;
        tx_grace_reg <= 2'd0;
        tx_block_reg <= 1'b0;
        rx_block_reg <= 1'b0;
        tx_garble_reg <= 1'b0;
        rx_garble_reg <= 1'b0;
    end
end

endmodule

`resetall
