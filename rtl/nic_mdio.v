/*
 * MDIO master, IEEE 802.3 clause 22: one read or write of a PHY register.
 *
 * A frame is 64 MDC periods: 32 preamble ones, ST (01), OP (01 write,
 * 10 read), PHYAD, REGAD, turnaround and 16 data bits, MSB first. MDC is low
 * for div+1 clocks then high for div+1 clocks; the master changes mdio_o as
 * MDC falls and samples mdio_i as MDC rises, so the PHY sees data stable
 * around its rising-edge sample. For a read the master releases the line
 * (mdio_oe = 0) from the turnaround on and shifts in the PHY's 16 data bits.
 * The split mdio_o / mdio_oe / mdio_i pins follow verilog-ethernet: the
 * board (or testbench) makes the open-drain line with a pull-up.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_mdio (
    input  wire        clk,
    input  wire        rst,

    input  wire        start,      // pulse: begin a transaction (ignored while busy)
    input  wire [1:0]  op,         // 2'b01 write, 2'b10 read
    input  wire [4:0]  phy_addr,
    input  wire [4:0]  reg_addr,
    input  wire [15:0] wdata,
    input  wire [7:0]  div,        // MDC half period minus one, in clocks

    output wire        busy,
    output wire [15:0] rdata,      // the data written, or read, by the last transaction
    output wire        done,       // pulse: the transaction finished

    output wire        mdc,
    output wire        mdio_o,
    output wire        mdio_oe,
    input  wire        mdio_i
);

reg busy_reg;
reg done_reg;
reg mdc_reg;
reg [7:0] cnt_reg;        // clocks left in this MDC half period
reg [5:0] bit_reg;        // MDC period of the frame, 0..63
// bits still to send, MSB first; bit 63 (the first preamble one) goes out
// as the transaction starts, so only bits 62:0 are ever read
/* verilator lint_off UNUSEDSIGNAL */
reg [63:0] shift_reg;
/* verilator lint_on UNUSEDSIGNAL */
reg read_reg;
reg [15:0] data_reg;
reg mdio_o_reg;
reg mdio_oe_reg;

assign busy = busy_reg;
assign rdata = data_reg;
assign done = done_reg;
assign mdc = mdc_reg;
assign mdio_o = mdio_o_reg;
assign mdio_oe = mdio_oe_reg;

always @(posedge clk) begin
    done_reg <= 1'b0;

    if (!busy_reg) begin
        mdc_reg <= 1'b0;
        mdio_oe_reg <= 1'b0;
        if (start) begin
            busy_reg <= 1'b1;
            read_reg <= (op == 2'b10);
            data_reg <= wdata;
            shift_reg <= {32'hffffffff, 2'b01, op, phy_addr, reg_addr, 2'b10, wdata};
            bit_reg <= 6'd0;
            cnt_reg <= div;
            // bit 0 goes out with MDC low
            mdio_o_reg <= 1'b1;
            mdio_oe_reg <= 1'b1;
        end
    end else if (cnt_reg != 0) begin
        cnt_reg <= cnt_reg - 1;
    end else begin
        cnt_reg <= div;
        if (!mdc_reg) begin
            // rising edge: the PHY samples; a read samples the PHY's data bits
            mdc_reg <= 1'b1;
            if (read_reg && bit_reg >= 6'd48) begin
                data_reg <= {data_reg[14:0], mdio_i};
            end
        end else begin
            // falling edge: next bit, or the end of the frame
            mdc_reg <= 1'b0;
            shift_reg <= {shift_reg[62:0], 1'b0};
            bit_reg <= bit_reg + 1;
            mdio_o_reg <= shift_reg[62];
            mdio_oe_reg <= !(read_reg && bit_reg >= 6'd45);
            if (bit_reg == 6'd63) begin
                busy_reg <= 1'b0;
                done_reg <= 1'b1;
                mdio_oe_reg <= 1'b0;
            end
        end
    end

    if (rst) begin
        busy_reg <= 1'b0;
        done_reg <= 1'b0;
        mdc_reg <= 1'b0;
        mdio_o_reg <= 1'b1;
        mdio_oe_reg <= 1'b0;
        data_reg <= 16'd0;
        read_reg <= 1'b0;
    end
end

endmodule

`resetall
