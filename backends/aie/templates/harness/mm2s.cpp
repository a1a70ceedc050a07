// firmflow AIE harness: PL data mover, DDR -> AXI4-Stream (128-bit words) into an input PLIO of the AIE graph.
#include <ap_axi_sdata.h>
#include <ap_int.h>
#include <hls_stream.h>

extern "C" void mm2s(const ap_uint<128>* mem, hls::stream<qdma_axis<128, 0, 0, 0>>& s, int words) {
#pragma HLS INTERFACE m_axi port = mem offset = slave bundle = gmem
#pragma HLS INTERFACE axis port = s
#pragma HLS INTERFACE s_axilite port = mem bundle = control
#pragma HLS INTERFACE s_axilite port = words bundle = control
#pragma HLS INTERFACE s_axilite port = return bundle = control
  for (int i = 0; i < words; i++) {
#pragma HLS PIPELINE II = 1
    qdma_axis<128, 0, 0, 0> x;
    x.data = mem[i];
    x.keep_all();
    s.write(x);
  }
}
