/*
 * Testbench wire capture (not synthesized): every carrier burst on one GMII
 * transmit path, written by C (gmii_pcap.c) as one record of a pcap file
 * NAME.pcap in the folder named by the environment variable
 * NICSIM_ARTIFACTS. With that variable unset (or the file not writable)
 * gp_open answers -1 at time 0 and this module never calls C again: the
 * only cost is the capture_on test below, per clock.
 *
 * While gmii_tx_en is high each byte is handed to C with gmii_tx_er and
 * the simulated time in ns ($time; this file's timescale is 1 ns); the
 * clock on which gmii_tx_en is seen low ends the burst. Bytes are sampled
 * as a GMII receiver paces them (nic_mac_rx): on the first clock of
 * gmii_tx_en, then every 1, 10 or 100 clocks for speed 0, 1 or 2/3
 * (1000/100/10 Mb/s, the NIC's CTRL.SPEED encoding, as the sender's
 * mac_speed pins give it), so a byte held for 10 clocks is one byte.
 *
 * C strips the preamble and SFD, keeps the FCS, stamps the record with the
 * time of the SFD, flushes the file after every record and lists a burst
 * with gmii_tx_er, no SFD, a bad FCS or under 64 bytes in NAME.errors.txt
 * (classic pcap has no per-packet comment); see gmii_pcap.c.
 *
 * The C side is reached as host_mem_axi's is: DPI-C imports under
 * Verilator (linked into the model), VPI system tasks $gp_open, $gp_byte,
 * $gp_end under Icarus (loaded with vvp -m); both are in the host-memory
 * library nicsim/runner.py builds (build_host_mem).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module gmii_pcap #(
    parameter NAME = "wire"           // the file: NAME.pcap (and NAME.errors.txt)
) (
    input  wire        clk,
    input  wire        rst,

    input  wire [7:0]  gmii_txd,
    input  wire        gmii_tx_en,
    input  wire        gmii_tx_er,
    input  wire [1:0]  speed          // 0 = 1000, 1 = 100, 2/3 = 10 Mb/s
);

`ifdef VERILATOR
// gmii_pcap.c: open NAME.pcap (a capture handle, or -1: no capture), one
// byte of the burst, the burst's end
import "DPI-C" function int gp_open(input string name);
import "DPI-C" function void gp_byte(input int handle, input int data, input int er, input longint time_ns);
import "DPI-C" function void gp_end(input int handle);
`endif

integer handle;
reg capture_on = 1'b0;

initial begin
`ifdef VERILATOR
    handle = gp_open(NAME);
`else
    $gp_open(NAME, handle);
`endif
    capture_on = handle >= 0;
end

wire [6:0] div = (speed == 2'd0) ? 7'd1 : (speed == 2'd1) ? 7'd10 : 7'd100;

reg in_burst_reg;
reg [6:0] phase_reg;   // clocks since the last byte sample

// sample on the first clock of gmii_tx_en, then every div clocks
wire sample = !in_burst_reg || phase_reg == 7'd0;

// everything, its own state included, only while capturing: with no capture
// the model tests one register per clock and does nothing else
always @(posedge clk) begin
    if (capture_on) begin
        // a burst cut by a reset ends there
        if (gmii_tx_en && !rst) begin
            if (sample) begin
`ifdef VERILATOR
                gp_byte(handle, {24'd0, gmii_txd}, {31'd0, gmii_tx_er}, $time);
`else
                $gp_byte(handle, gmii_txd, gmii_tx_er, $time);
`endif
            end
        end else if (in_burst_reg) begin
`ifdef VERILATOR
            gp_end(handle);
`else
            $gp_end(handle);
`endif
        end

        in_burst_reg <= gmii_tx_en;
        if (!in_burst_reg) begin
            phase_reg <= (div > 7'd1) ? 7'd1 : 7'd0;
        end else begin
            phase_reg <= (phase_reg + 7'd1 >= div) ? 7'd0 : phase_reg + 7'd1;
        end

        if (rst) begin
            in_burst_reg <= 1'b0;
            phase_reg <= 7'd0;
        end
    end
end

endmodule

`resetall
