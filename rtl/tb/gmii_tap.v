/*
 * Testbench TAP bridge (not synthesized): the far end of one NIC's cable is
 * a Linux TAP interface, through C (gmii_tap.c), so the Linux kernel is the
 * link partner of the simulated NIC. nicsim.tap makes the TAP in a network
 * namespace and attaches it (gt_attach, through ctypes); until then the far
 * end drops what it is sent and sends nothing.
 *
 * From the NIC (gmii_rx*: the PHY's line transmit side): each byte of a
 * carrier burst is handed to C at the sender's pace (as gmii_pcap samples:
 * the first clock of gmii_rx_dv, then every 1, 10 or 100 clocks for speed
 * 0, 1 or 2/3), and the clock gmii_rx_dv is seen low ends the burst; C
 * checks the FCS and writes the frame without preamble, SFD and FCS to the
 * TAP.
 *
 * To the NIC (gmii_tx*: the PHY's line receive side): while the line is
 * idle, C is asked every POLL_CLOCKS clocks for a frame read from the TAP
 * (a non-blocking read): a VPI call per clock would cost Icarus more than
 * the NIC. A frame found is sent whole from C (preamble, SFD, the frame
 * padded to 60 bytes, FCS), one byte per byte time at speed, followed by at
 * least IFG_BYTES byte times of idle line; the next poll comes right after
 * that gap, so frames queued in the TAP go out back to back.
 *
 * The C side is reached as gmii_pcap's is: DPI-C imports under Verilator,
 * VPI system tasks $gt_byte, $gt_end, $gt_poll, $gt_next under Icarus;
 * both are in the host-memory library nicsim/runner.py builds.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module gmii_tap #(
    parameter POLL_CLOCKS = 256,      // idle clocks between two looks at the TAP (2 us at 125 MHz)
    parameter IFG_BYTES = 12          // idle byte times after each frame sent
) (
    input  wire        clk,
    input  wire        rst,

    // what the NIC sends (its PHY's line side)
    input  wire [7:0]  gmii_rxd,
    input  wire        gmii_rx_dv,
    input  wire        gmii_rx_er,

    // what the NIC receives (its PHY's line side)
    output reg  [7:0]  gmii_txd,
    output reg         gmii_tx_en,
    output reg         gmii_tx_er,

    input  wire [1:0]  speed          // 0 = 1000, 1 = 100, 2/3 = 10 Mb/s (the resolved link speed)
);

`ifdef VERILATOR
// gmii_tap.c: a byte from the NIC, the end of its burst; a frame from the TAP (its length on the line, or 0),
// its next byte
import "DPI-C" function void gt_byte(input int data, input int er);
import "DPI-C" function void gt_end();
import "DPI-C" function int gt_poll();
import "DPI-C" function int gt_next();
`endif

wire [6:0] div = (speed == 2'd0) ? 7'd1 : (speed == 2'd1) ? 7'd10 : 7'd100;

// ---- from the NIC
reg rx_in_burst_reg;
reg [6:0] rx_phase_reg;   // clocks since the last byte sample
wire rx_sample = !rx_in_burst_reg || rx_phase_reg == 7'd0;

always @(posedge clk) begin
    if (gmii_rx_dv && !rst) begin
        if (rx_sample) begin
`ifdef VERILATOR
            gt_byte({24'd0, gmii_rxd}, {31'd0, gmii_rx_er});
`else
            $gt_byte(gmii_rxd, gmii_rx_er);
`endif
        end
    end else if (rx_in_burst_reg) begin
`ifdef VERILATOR
        gt_end();
`else
        $gt_end;
`endif
    end

    rx_in_burst_reg <= gmii_rx_dv && !rst;
    if (!rx_in_burst_reg) begin
        rx_phase_reg <= (div > 7'd1) ? 7'd1 : 7'd0;
    end else begin
        rx_phase_reg <= (rx_phase_reg + 7'd1 >= div) ? 7'd0 : rx_phase_reg + 7'd1;
    end

    if (rst) begin
        rx_in_burst_reg <= 1'b0;
        rx_phase_reg <= 7'd0;
    end
end

// ---- to the NIC
reg [15:0] tx_left_reg;     // bytes of the burst still to send
// what C answered, used in the clock it answers in (hence blocking)
integer tx_value;
reg [15:0] tx_wait_reg;     // clocks to the next look at the TAP (idle) or the next byte (sending)
reg [7:0] tx_gap_reg;        // idle byte times still owed after a frame
reg tx_sending_reg;

/* verilator lint_off BLKSEQ */
always @(posedge clk) begin
    if (rst) begin
        gmii_tx_en <= 1'b0;
        gmii_tx_er <= 1'b0;
        gmii_txd <= 8'd0;
        tx_sending_reg <= 1'b0;
        tx_left_reg <= 16'd0;
        tx_wait_reg <= 16'd1;
        tx_gap_reg <= 8'd0;
    end else if (tx_wait_reg > 16'd1) begin
        tx_wait_reg <= tx_wait_reg - 16'd1;
    end else if (tx_sending_reg && tx_left_reg != 16'd0) begin
`ifdef VERILATOR
        tx_value = gt_next();
`else
        $gt_next(tx_value);
`endif
        gmii_txd <= tx_value[7:0];
        gmii_tx_en <= 1'b1;
        tx_left_reg <= tx_left_reg - 16'd1;
        tx_wait_reg <= {9'd0, div};
    end else if (tx_sending_reg) begin
        // the frame is out: the gap, a byte time at a time
        gmii_tx_en <= 1'b0;
        gmii_txd <= 8'd0;
        tx_sending_reg <= 1'b0;
        tx_gap_reg <= IFG_BYTES[7:0] - 8'd1;
        tx_wait_reg <= {9'd0, div};
    end else if (tx_gap_reg != 8'd0) begin
        tx_gap_reg <= tx_gap_reg - 8'd1;
        tx_wait_reg <= {9'd0, div};
    end else begin
`ifdef VERILATOR
        tx_value = gt_poll();
`else
        $gt_poll(tx_value);
`endif
        if (tx_value > 0) begin
            tx_left_reg <= tx_value[15:0];
            tx_sending_reg <= 1'b1;
            tx_wait_reg <= 16'd1;
        end else begin
            tx_wait_reg <= POLL_CLOCKS[15:0];
        end
    end
end
/* verilator lint_on BLKSEQ */

endmodule

`resetall
