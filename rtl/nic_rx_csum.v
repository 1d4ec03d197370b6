/*
 * Receive checksum check: watches the MAC's byte stream (FCS already
 * stripped) and, at the end of each frame, reports in the RX descriptor's
 * CSUM layout whether it carried an IPv4 header (checked, and wrong?) and a
 * TCP or UDP segment (checked, and wrong?).
 *
 * Untagged Ethernet II only (type 0x0800 at bytes 12..13). The IPv4 header
 * is checked when all of it arrived; the TCP/UDP checksum when the frame
 * holds the whole datagram (IP total length), it is not a fragment and, for
 * UDP, the checksum field is not 0 ("no checksum"). Parsing and sums are in
 * nic_ipv4_parse (with the pseudo-header: addresses summed as they pass,
 * protocol and length added at the end).
 */

`resetall
`timescale 1ns / 1ps
`default_nettype none

module nic_rx_csum (
    input  wire        clk,
    input  wire        rst,

    input  wire [7:0]  s_data,
    input  wire        s_valid,
    input  wire        s_eof,

    output wire [5:0]  status     // valid with s_eof: {UDP, TCP, L4_ERR, L4_CHK, IP_ERR, IP_CHK}
);

reg [15:0] off_reg;          // frame offset of the next byte
reg udp_zero_reg;            // the UDP checksum field is 0

wire ip_complete;
wire l4_whole;
wire is_tcp;
wire is_udp;
wire [15:0] l4_start;
wire [15:0] ip_end;
wire [15:0] ip_sum;
wire [15:0] l4_sum;

nic_ipv4_parse #(
    .SKIP_IP_CSUM(0),
    .PSEUDO_HDR(1)
) parse_inst (
    .clk(clk),
    .rst(rst),
    .clr(s_eof),
    .s_data(s_data),
    .s_valid(s_valid),
    .off(off_reg),
    .ip_complete(ip_complete),
    .l4_whole(l4_whole),
    .is_tcp(is_tcp),
    .is_udp(is_udp),
    .l4_start(l4_start),
    .ip_end(ip_end),
    .ip_sum(ip_sum),
    .l4_sum(l4_sum)
);

// IP total length minus header length (ip_end and l4_start both carry the 14)
wire [15:0] l4_len = ip_end - l4_start;
wire l4_ok_shape = l4_whole && ((is_tcp && l4_len >= 16'd20) || (is_udp && l4_len >= 16'd8));
wire ip_chk = ip_complete;
wire ip_err = ip_chk && (ip_sum != 16'hffff);
wire l4_chk = l4_ok_shape && !(is_udp && udp_zero_reg);
wire l4_err = l4_chk && (l4_sum != 16'hffff);

assign status = {is_udp, is_tcp, l4_err, l4_chk, ip_err, ip_chk};

always @(posedge clk) begin
    if (s_valid) begin
        if (off_reg != 16'hffff) begin
            off_reg <= off_reg + 1;
        end
        if (off_reg >= 16'd34 && off_reg == l4_start + 16'd6) begin
            udp_zero_reg <= (s_data == 8'd0);
        end else if (off_reg >= 16'd34 && off_reg == l4_start + 16'd7) begin
            udp_zero_reg <= udp_zero_reg && (s_data == 8'd0);
        end
    end
    if (s_eof || rst) begin
        off_reg <= 16'd0;
        udp_zero_reg <= 1'b0;
    end
end

endmodule

`resetall
