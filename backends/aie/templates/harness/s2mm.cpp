// firmflow AIE harness: PL data mover, AXI4-Stream (128-bit words) from an output PLIO of the AIE graph -> DDR.
#include <ap_axi_sdata.h>
#include <ap_int.h>
#include <hls_stream.h>

extern "C" void s2mm(ap_uint<128>* mem, hls::stream<qdma_axis<128, 0, 0, 0>>& s, int words) {
#pragma HLS INTERFACE m_axi port = mem offset = slave bundle = gmem
#pragma HLS INTERFACE axis port = s
#pragma HLS INTERFACE s_axilite port = mem bundle = control
#pragma HLS INTERFACE s_axilite port = words bundle = control
#pragma HLS INTERFACE s_axilite port = return bundle = control
  for (int i = 0; i < words; i++) {
#pragma HLS PIPELINE II = 1
    mem[i] = s.read().data;
  }
}
