/*
 * Ethernet CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), one byte per
 * step. Purely combinational: the caller holds the running value in a
 * register, seeds it with 32'hffffffff and sends ~crc, LSB first, as the FCS.
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_crc32 (
    input  wire [31:0] crc_in,
    input  wire [7:0]  data_in,
    output wire [31:0] crc_out
);

reg [31:0] crc;
integer i;

always @* begin
    crc = crc_in;
    for (i = 0; i < 8; i = i + 1) begin
        if (crc[0] ^ data_in[i]) begin
            crc = (crc >> 1) ^ 32'hedb88320;
        end else begin
            crc = crc >> 1;
        end
    end
end

assign crc_out = crc;

endmodule

`resetall
