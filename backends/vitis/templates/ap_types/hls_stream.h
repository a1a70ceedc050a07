// firmflow host-simulation header: hls::stream<T>, an unbounded FIFO with the vendor's interface
// (our own code; synthesis uses the vendor's hls_stream.h).
#ifndef FIRMFLOW_HLS_STREAM_H
#define FIRMFLOW_HLS_STREAM_H

#include <cstdio>
#include <cstdlib>
#include <deque>
#include <string>

namespace hls {

template <typename T, int DEPTH = 0>
class stream {
 public:
  stream() : name_("") {}
  explicit stream(const char* name) : name_(name ? name : "") {}
  stream(const stream&) = delete;
  stream& operator=(const stream&) = delete;

  bool empty() const { return q_.empty(); }
  bool full() const { return false; }
  std::size_t size() const { return q_.size(); }

  void write(const T& v) { q_.push_back(v); }
  bool write_nb(const T& v) { write(v); return true; }
  void operator<<(const T& v) { write(v); }

  T read() {
    if (q_.empty()) {
      // A read from an empty stream deadlocks in hardware; in simulation stop with the stream's name.
      std::fprintf(stderr, "hls::stream '%s': read while empty (the design would deadlock)\n", name_.c_str());
      std::abort();
    }
    T v = q_.front();
    q_.pop_front();
    return v;
  }
  void read(T& v) { v = read(); }
  bool read_nb(T& v) {
    if (q_.empty()) return false;
    v = read();
    return true;
  }
  void operator>>(T& v) { v = read(); }
  const std::string& name() const { return name_; }

 private:
  std::string name_;
  std::deque<T> q_;
};

}  // namespace hls

#endif
