// firmflow host model of the ADF graph API: graphs, kernels (functions and kernel classes), buffer and cascade
// connections, memory-tile shared buffers with tiling access patterns (gather / scatter), PLIO text files, and a
// scheduler that runs the kernels in dataflow order for N graph iterations. Our own functional model (not AMD code):
// the subset firmflow's generated graphs use, so a generated project builds with g++ and runs on any host.
//
// Run-time settings (environment): FIRMFLOW_AIE_INPUT_DIR (where PLIO input files are read, default "."),
// FIRMFLOW_AIE_OUTPUT_DIR (where PLIO output files are written, default "x86simulator_output"),
// FIRMFLOW_AIE_ITERATIONS (overrides the iteration count graph.run() is given).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <map>
#include <memory>
#include <sstream>
#include <stdexcept>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

#include "firmflow_host/types.h"

namespace adf {
namespace host {

[[noreturn]] inline void fail(const std::string& msg) {
  std::fprintf(stderr, "firmflow AIE host model: %s\n", msg.c_str());
  std::exit(2);
}

// Element type of a port, for reading and writing PLIO text.
enum class elem { i8, u8, i16, u16, i32, u32, i64, f32, bf16, other };
template <typename T>
constexpr elem elem_of() {
  if constexpr (std::is_same_v<T, std::int8_t>) return elem::i8;
  else if constexpr (std::is_same_v<T, std::uint8_t>) return elem::u8;
  else if constexpr (std::is_same_v<T, std::int16_t>) return elem::i16;
  else if constexpr (std::is_same_v<T, std::uint16_t>) return elem::u16;
  else if constexpr (std::is_same_v<T, std::int32_t>) return elem::i32;
  else if constexpr (std::is_same_v<T, std::uint32_t>) return elem::u32;
  else if constexpr (std::is_same_v<T, std::int64_t>) return elem::i64;
  else if constexpr (std::is_same_v<T, float>) return elem::f32;
  else if constexpr (std::is_same_v<T, bfloat16>) return elem::bf16;
  else return elem::other;
}
inline std::size_t elem_size(elem e) {
  switch (e) {
    case elem::i8: case elem::u8: return 1;
    case elem::i16: case elem::u16: case elem::bf16: return 2;
    case elem::i32: case elem::u32: case elem::f32: return 4;
    default: return 8;
  }
}
inline double get_elem(const std::uint8_t* p, elem e) {
  switch (e) {
    case elem::i8: { std::int8_t v; std::memcpy(&v, p, 1); return v; }
    case elem::u8: return *p;
    case elem::i16: { std::int16_t v; std::memcpy(&v, p, 2); return v; }
    case elem::u16: { std::uint16_t v; std::memcpy(&v, p, 2); return v; }
    case elem::i32: { std::int32_t v; std::memcpy(&v, p, 4); return v; }
    case elem::u32: { std::uint32_t v; std::memcpy(&v, p, 4); return v; }
    case elem::f32: { float v; std::memcpy(&v, p, 4); return v; }
    case elem::bf16: { bfloat16 v; std::memcpy(&v, p, 2); return float(v); }
    default: { std::int64_t v; std::memcpy(&v, p, 8); return double(v); }
  }
}
inline void put_elem(std::uint8_t* p, elem e, double x) {
  switch (e) {
    case elem::i8: { std::int8_t v = std::int8_t(x); std::memcpy(p, &v, 1); break; }
    case elem::u8: { std::uint8_t v = std::uint8_t(x); std::memcpy(p, &v, 1); break; }
    case elem::i16: { std::int16_t v = std::int16_t(x); std::memcpy(p, &v, 2); break; }
    case elem::u16: { std::uint16_t v = std::uint16_t(x); std::memcpy(p, &v, 2); break; }
    case elem::i32: { std::int32_t v = std::int32_t(x); std::memcpy(p, &v, 4); break; }
    case elem::u32: { std::uint32_t v = std::uint32_t(x); std::memcpy(p, &v, 4); break; }
    case elem::f32: { float v = float(x); std::memcpy(p, &v, 4); break; }
    case elem::bf16: { const bfloat16 v{float(x)}; std::memcpy(p, &v, 2); break; }
    default: { std::int64_t v = std::int64_t(x); std::memcpy(p, &v, 8); break; }
  }
}

// A cascade stream: accumulator lanes in order (unbounded; the producer runs before the consumer).
struct cascade_fifo {
  std::deque<std::int64_t> q;
  std::string name;
  std::int64_t pop() {
    if (q.empty()) fail("cascade '" + name + "' read while empty");
    const std::int64_t v = q.front();
    q.pop_front();
    return v;
  }
  void push(std::int64_t v) { q.push_back(v); }
};

enum class node_kind { kernel, input_plio, output_plio, shared_buffer, input_gmio };
enum class port_kind { buffer, cascade, parameter };  // parameter: a runtime parameter (see "runtime parameters")

struct port_info {
  port_kind kind = port_kind::buffer;
  elem type = elem::other;
  std::vector<std::uint32_t> dims;  // adf::dimensions (elements)
  // Asynchronous input buffer (input_async_buffer): the kernel acquires and releases `repetition` buffers of
  // `dims` elements per graph iteration (adf::async_repetition), in the order the source delivers them.
  bool async = false;
  unsigned repetition = 1;
};

// One value of a kernel port during an invocation.
struct port_slot {
  std::uint8_t* ptr = nullptr;
  std::size_t n = 0;
  cascade_fifo* fifo = nullptr;
  // Async ports: buffers per invocation, and how many the kernel acquired / released.
  unsigned repetition = 1;
  unsigned acquired = 0, released = 0;
};

struct node {
  node_kind kind;
  std::string name;
  std::vector<port_info> ins, outs;  // kernels: from the registered signature; others: grown on demand
  explicit node(node_kind k) : kind(k) {}
  virtual ~node() = default;
  port_info& in_port(std::size_t i) {
    if (i >= ins.size()) ins.resize(i + 1);
    return ins[i];
  }
  port_info& out_port(std::size_t i) {
    if (i >= outs.size()) outs.resize(i + 1);
    return outs[i];
  }
};

struct kernel_node : node {
  std::function<void(std::vector<port_slot>&, std::vector<port_slot>&)> invoke;
  std::string source;
  double ratio = 0;
  kernel_node() : node(node_kind::kernel) {}
};

struct plio_node : node {
  std::string file;
  unsigned width_bits = 32;
  plio_node(node_kind k) : node(k) {}
};

// A GMIO input: bytes the application sent from DDR (gm2aie_nb), consumed one graph iteration's worth at a time.
struct gmio_node : node {
  std::deque<std::uint8_t> queue;
  gmio_node() : node(node_kind::input_gmio) {}
};

// The graph the application runs; GMIO transfers let it make progress (a graph waits for its DDR data).
struct progress_hook {
  std::function<void()> fn;
};
inline progress_hook& progress() {
  static progress_hook h;
  return h;
}

// Iterations graph.run() is given, or FIRMFLOW_AIE_ITERATIONS when set (host runs of more samples than the
// project's data files hold). Applications that send per-iteration data (GMIO) loop over this count.
inline int iterations(int given) {
  const char* v = std::getenv("FIRMFLOW_AIE_ITERATIONS");
  return v && *v ? std::atoi(v) : given;
}

struct traversal {
  int dimension = 0;
  int stride = 0;
  int wrap = 1;
};

}  // namespace host

// ------------------------------------------------------------------------------------------------ tiling

struct traversing_parameters {
  int dimension = 0;
  int stride = 0;
  int wrap = 1;
};

struct tiling_parameters {
  std::vector<std::uint32_t> buffer_dimension{};
  std::vector<std::uint32_t> tiling_dimension{};
  std::vector<int> offset{};
  std::vector<traversing_parameters> tile_traversal{};
  std::vector<std::uint32_t> boundary_dimension{};
};

// An access pattern: the buffer element (or -1: outside the boundary, padding) of every stream element in order.
class access_pattern {
 public:
  access_pattern() = default;
  explicit access_pattern(const tiling_parameters& p) : p_(p), set_(true) {}
  bool defined() const { return set_; }
  // Linear buffer indices in stream order; -1 where the tile reaches outside the boundary.
  std::vector<std::int64_t> indices() const {
    const std::size_t D = p_.buffer_dimension.size();
    if (p_.tiling_dimension.size() != D) host::fail("tiling: buffer_dimension and tiling_dimension ranks differ");
    std::vector<std::int64_t> stride(D, 1), bound(D), off(D, 0);
    for (std::size_t d = 1; d < D; ++d) stride[d] = stride[d - 1] * p_.buffer_dimension[d - 1];
    for (std::size_t d = 0; d < D; ++d) {
      bound[d] = d < p_.boundary_dimension.size() ? p_.boundary_dimension[d] : p_.buffer_dimension[d];
      off[d] = d < p_.offset.size() ? p_.offset[d] : 0;
    }
    std::size_t tile = 1;
    for (auto t : p_.tiling_dimension) tile *= t;
    const bool padded = !p_.boundary_dimension.empty();
    std::vector<std::int64_t> out;
    const std::size_t T = p_.tile_traversal.size();
    std::vector<int> ctr(T, 0);
    std::vector<std::int64_t> base(D), e(D);
    while (true) {
      for (std::size_t d = 0; d < D; ++d) base[d] = off[d];
      for (std::size_t t = 0; t < T; ++t) base[std::size_t(p_.tile_traversal[t].dimension)] += std::int64_t(ctr[t]) * p_.tile_traversal[t].stride;
      std::fill(e.begin(), e.end(), 0);
      for (std::size_t i = 0; i < tile; ++i) {
        std::int64_t lin = 0;
        bool inside = true;
        for (std::size_t d = 0; d < D; ++d) {
          const std::int64_t c = base[d] + e[d];
          // Without boundary_dimension the address generator is linear (a tile may run across a dimension into
          // the next, as a DMA's strides do); with it, elements outside the boundary are padding.
          if (padded && (c < 0 || c >= bound[d])) inside = false;
          lin += c * stride[d];
        }
        out.push_back(inside ? lin : -1);
        for (std::size_t d = 0; d < D; ++d) {
          if (++e[d] < std::int64_t(p_.tiling_dimension[d])) break;
          e[d] = 0;
        }
      }
      // The first traversal entry is the innermost loop.
      std::size_t t = 0;
      for (; t < T; ++t) {
        if (++ctr[t] < std::max(1, p_.tile_traversal[t].wrap)) break;
        ctr[t] = 0;
      }
      if (t == T) break;
    }
    return out;
  }

 private:
  tiling_parameters p_{};
  bool set_ = false;
};

inline access_pattern tiling(const tiling_parameters& p) { return access_pattern(p); }

// ------------------------------------------------------------------------------------------------ ports

struct port_ref {
  host::node* owner = nullptr;
  bool is_in = true;
  int index = 0;
};

class port_list {
 public:
  port_list() = default;
  port_list(std::shared_ptr<host::node> n, bool in) : n_(std::move(n)), in_(in) {}
  port_ref operator[](int i) const {
    if (!n_) host::fail("port of an object that was never created");
    return port_ref{n_.get(), in_, i};
  }

 private:
  std::shared_ptr<host::node> n_;
  bool in_ = true;
};

struct shared_buffer_node : host::node {
  std::vector<std::uint32_t> dims;
  host::elem type = host::elem::other;
  std::map<int, access_pattern> write, read;
  int num_buffers = 1;
  shared_buffer_node() : node(host::node_kind::shared_buffer) {}
};

namespace host {
struct edge {
  port_ref from, to;
};
struct registry {
  std::vector<std::shared_ptr<node>> nodes;
  std::vector<edge> edges;
};
inline registry& reg() {
  static registry r;
  return r;
}
}  // namespace host

// ------------------------------------------------------------------------------------------------ buffers, cascades

template <typename T>
class input_buffer {
 public:
  input_buffer() = default;
  input_buffer(T* p, std::size_t n) : p_(p), n_(n) {}
  T* data() { return p_; }
  const T* data() const { return p_; }
  std::size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

template <typename T>
class output_buffer {
 public:
  output_buffer() = default;
  output_buffer(T* p, std::size_t n) : p_(p), n_(n) {}
  T* data() { return p_; }
  std::size_t size() const { return n_; }

 private:
  T* p_ = nullptr;
  std::size_t n_ = 0;
};

// An asynchronous input buffer port: no lock is taken on kernel entry; the kernel calls acquire() before it reads
// a buffer and release() when done, possibly several times per invocation (adf::async_repetition buffers per graph
// iteration, delivered in order by the DMA). data() is the buffer acquired last.
template <typename T>
class input_async_buffer {
 public:
  input_async_buffer() = default;
  input_async_buffer(T* base, std::size_t n, host::port_slot* slot) : base_(base), n_(n), slot_(slot) {}
  void acquire() {
    if (!slot_) host::fail("input_async_buffer: acquire() of an unbound port");
    if (slot_->acquired != slot_->released) host::fail("input_async_buffer: acquire() twice without release()");
    if (slot_->acquired >= slot_->repetition) host::fail("input_async_buffer: acquire() of buffer " + std::to_string(slot_->acquired + 1) + " but the port receives " + std::to_string(slot_->repetition) + " per graph iteration (adf::async_repetition)");
    cur_ = base_ + std::size_t(slot_->acquired) * n_;
    ++slot_->acquired;
  }
  void release() {
    if (!slot_ || slot_->released >= slot_->acquired) host::fail("input_async_buffer: release() without acquire()");
    ++slot_->released;
    cur_ = nullptr;
  }
  T* data() {
    if (!cur_) host::fail("input_async_buffer: data() outside acquire() / release()");
    return cur_;
  }
  const T* data() const { return cur_; }
  std::size_t size() const { return n_; }

 private:
  T* base_ = nullptr;
  T* cur_ = nullptr;
  std::size_t n_ = 0;
  host::port_slot* slot_ = nullptr;
};

}  // namespace adf

// Cascade ports (global names, as kernels declare them).
template <typename Tag>
struct input_cascade {
  adf::host::cascade_fifo* fifo = nullptr;
  std::int64_t pop() { return fifo->pop(); }
};
template <typename Tag>
struct output_cascade {
  adf::host::cascade_fifo* fifo = nullptr;
  void push(std::int64_t v) { fifo->push(v); }
};

namespace adf {
namespace host {

// Binding of one kernel argument to its port slot.
template <typename A>
struct arg_of;
template <typename T>
struct arg_of<input_buffer<T>&> {
  static constexpr bool is_in = true;
  static constexpr port_kind kind = port_kind::buffer;
  static constexpr elem type = elem_of<T>();
  input_buffer<T> obj;
  void bind(const port_slot& s) { obj = input_buffer<T>(reinterpret_cast<T*>(s.ptr), s.n); }
  input_buffer<T>& get() { return obj; }
};
template <typename T>
struct arg_of<input_async_buffer<T>&> {
  static constexpr bool is_in = true;
  static constexpr port_kind kind = port_kind::buffer;
  static constexpr elem type = elem_of<T>();
  input_async_buffer<T> obj;
  void bind(port_slot& s) { obj = input_async_buffer<T>(reinterpret_cast<T*>(s.ptr), s.n / std::max(1u, s.repetition), &s); }
  input_async_buffer<T>& get() { return obj; }
};
template <typename A>
struct async_port : std::false_type {};
template <typename T>
struct async_port<input_async_buffer<T>&> : std::true_type {};
template <typename T>
struct arg_of<output_buffer<T>&> {
  static constexpr bool is_in = false;
  static constexpr port_kind kind = port_kind::buffer;
  static constexpr elem type = elem_of<T>();
  output_buffer<T> obj;
  void bind(const port_slot& s) { obj = output_buffer<T>(reinterpret_cast<T*>(s.ptr), s.n); }
  output_buffer<T>& get() { return obj; }
};
template <typename Tag>
struct arg_of<input_cascade<Tag>*> {
  static constexpr bool is_in = true;
  static constexpr port_kind kind = port_kind::cascade;
  static constexpr elem type = elem::i64;
  input_cascade<Tag> obj;
  void bind(const port_slot& s) { obj.fifo = s.fifo; }
  input_cascade<Tag>* get() { return &obj; }
};
template <typename Tag>
struct arg_of<output_cascade<Tag>*> {
  static constexpr bool is_in = false;
  static constexpr port_kind kind = port_kind::cascade;
  static constexpr elem type = elem::i64;
  output_cascade<Tag> obj;
  void bind(const port_slot& s) { obj.fifo = s.fifo; }
  output_cascade<Tag>* get() { return &obj; }
};

template <typename... A>
void describe_ports(kernel_node& k) {
  ((arg_of<A>::is_in ? k.ins : k.outs).push_back(port_info{arg_of<A>::kind, arg_of<A>::type, {}, async_port<A>::value, 1}), ...);
}

template <typename F, typename... A, std::size_t... I>
void call_bound(F&& f, std::vector<port_slot>& ins, std::vector<port_slot>& outs, std::index_sequence<I...>) {
  std::tuple<arg_of<A>...> args;
  std::size_t ni = 0, no = 0;
  ((std::get<I>(args).bind(arg_of<A>::is_in ? ins[ni++] : outs[no++])), ...);
  (void)ni;
  (void)no;
  f(std::get<I>(args).get()...);
}

// What a kernel class's registerKernelClass() registers: its run method.
struct pending_method {
  std::function<void(void*, kernel_node&)> bind;  // (object, node) -> sets node.invoke and ports
};
inline pending_method& pending() {
  static pending_method p;
  return p;
}

template <typename C, typename... A>
void register_method(void (C::*m)(A...)) {
  pending().bind = [m](void* obj, kernel_node& k) {
    describe_ports<A...>(k);
    C* o = static_cast<C*>(obj);
    k.invoke = [o, m](std::vector<port_slot>& ins, std::vector<port_slot>& outs) {
      auto f = [o, m](auto&&... xs) { (o->*m)(std::forward<decltype(xs)>(xs)...); };
      call_bound<decltype(f)&, A...>(f, ins, outs, std::index_sequence_for<A...>{});
    };
  };
}

// A std::vector constructor argument, bound to a kernel constructor's array-reference parameter.
template <typename E>
struct array_arg {
  const std::vector<E>* v;
  template <std::size_t N>
  using array_ref = const E (&)[N];
  template <std::size_t N>
  operator array_ref<N>() const {
    if (v->size() != N) fail("kernel constructor array of " + std::to_string(N) + " elements given " + std::to_string(v->size()));
    return *reinterpret_cast<const E(*)[N]>(v->data());
  }
};
template <typename X>
const X& ctor_arg(const X& x) { return x; }
template <typename E>
array_arg<E> ctor_arg(const std::vector<E>& v) { return array_arg<E>{&v}; }

}  // namespace host

#define REGISTER_FUNCTION(f) ::adf::host::register_method(&f)
#define REGISTER_PARAMETER(p)

class kernel {
 public:
  port_list in, out;

  kernel() = default;

  template <typename... A>
  static kernel create(void (*fn)(A...)) {
    auto k = std::make_shared<host::kernel_node>();
    host::describe_ports<A...>(*k);
    k->invoke = [fn](std::vector<host::port_slot>& ins, std::vector<host::port_slot>& outs) {
      auto f = [fn](auto&&... xs) { fn(std::forward<decltype(xs)>(xs)...); };
      host::call_bound<decltype(f)&, A...>(f, ins, outs, std::index_sequence_for<A...>{});
    };
    return adopt(k);
  }

  template <typename T, typename... Args>
  static kernel create_object(Args&&... args) {
    auto k = std::make_shared<host::kernel_node>();
    auto obj = std::make_shared<T>(host::ctor_arg(args)...);
    host::pending().bind = nullptr;
    T::registerKernelClass();
    if (!host::pending().bind) host::fail("kernel class registered no function (REGISTER_FUNCTION)");
    host::pending().bind(obj.get(), *k);
    host::pending().bind = nullptr;
    objects().push_back(obj);
    return adopt(k);
  }

  host::kernel_node* node() const { return k_.get(); }

 private:
  static std::vector<std::shared_ptr<void>>& objects() {
    static std::vector<std::shared_ptr<void>> o;
    return o;
  }
  static kernel adopt(std::shared_ptr<host::kernel_node> k) {
    k->name = "kernel" + std::to_string(host::reg().nodes.size());
    host::reg().nodes.push_back(k);
    kernel r;
    r.k_ = k;
    r.in = port_list(k, true);
    r.out = port_list(k, false);
    return r;
  }
  std::shared_ptr<host::kernel_node> k_;
};

// ------------------------------------------------------------------------------------------------ PLIO

enum plio_type { plio_32_bits = 32, plio_64_bits = 64, plio_128_bits = 128 };

namespace host {
/** Registers a PLIO node (input or output) of the graph being built. */
inline std::shared_ptr<plio_node> make_plio(node_kind kind, const std::string& name, plio_type width, const std::string& file) {
  auto n = std::make_shared<plio_node>(kind);
  n->name = name;
  n->width_bits = unsigned(width);
  n->file = file;
  reg().nodes.push_back(n);
  return n;
}
}  // namespace host

class input_plio {
 public:
  port_list out;
  input_plio() = default;
  static input_plio create(const std::string& name, plio_type width, const std::string& file) {
    input_plio p;
    p.out = port_list(host::make_plio(host::node_kind::input_plio, name, width, file), false);
    return p;
  }
  static input_plio create(plio_type width, const std::string& file) { return create(file, width, file); }
};

class output_plio {
 public:
  port_list in;
  output_plio() = default;
  static output_plio create(const std::string& name, plio_type width, const std::string& file) {
    output_plio p;
    p.in = port_list(host::make_plio(host::node_kind::output_plio, name, width, file), true);
    return p;
  }
  static output_plio create(plio_type width, const std::string& file) { return create(file, width, file); }
};

// ------------------------------------------------------------------------------------------------ shared buffers

template <typename T>
class shared_buffer {
 public:
  port_list in, out;
  shared_buffer() = default;
  static shared_buffer create(std::vector<std::uint32_t> dims, int num_inputs, int num_outputs) {
    auto n = std::make_shared<shared_buffer_node>();
    n->name = "shared_buffer" + std::to_string(host::reg().nodes.size());
    n->dims = std::move(dims);
    n->type = host::elem_of<T>();
    n->ins.resize(std::size_t(num_inputs));
    n->outs.resize(std::size_t(num_outputs));
    host::reg().nodes.push_back(n);
    shared_buffer b;
    b.n_ = n;
    b.in = port_list(n, true);
    b.out = port_list(n, false);
    return b;
  }
  shared_buffer_node* node() const { return n_.get(); }

 private:
  std::shared_ptr<shared_buffer_node> n_;
};

inline access_pattern& write_access(port_ref p) {
  if (!p.owner || p.owner->kind != host::node_kind::shared_buffer || !p.is_in) host::fail("write_access of a port that is not a shared buffer input");
  return static_cast<shared_buffer_node*>(p.owner)->write[p.index];
}
inline access_pattern& read_access(port_ref p) {
  if (!p.owner || p.owner->kind != host::node_kind::shared_buffer || p.is_in) host::fail("read_access of a port that is not a shared buffer output");
  return static_cast<shared_buffer_node*>(p.owner)->read[p.index];
}
template <typename T>
int& num_buffers(shared_buffer<T>& b) {
  return b.node()->num_buffers;
}

// ------------------------------------------------------------------------------------------------ graph construction

inline void connect(port_ref from, port_ref to) {
  if (!from.owner || !to.owner) host::fail("connect: an endpoint was never created");
  if (from.is_in || !to.is_in) host::fail("connect: from must be an output port and to an input port");
  host::reg().edges.push_back(host::edge{from, to});
}
template <typename... Ignored>
void connect(port_ref from, port_ref to, Ignored&&...) {
  connect(from, to);
}

inline std::vector<std::uint32_t>& dimensions(port_ref p) {
  if (!p.owner) host::fail("dimensions of a port that was never created");
  return (p.is_in ? p.owner->in_port(std::size_t(p.index)) : p.owner->out_port(std::size_t(p.index))).dims;
}

// Buffers an asynchronous input port receives per graph iteration (multi-rate async connection).
inline unsigned& async_repetition(port_ref p) {
  if (!p.owner || p.owner->kind != host::node_kind::kernel || !p.is_in) host::fail("async_repetition of a port that is not a kernel input");
  return p.owner->in_port(std::size_t(p.index)).repetition;
}

inline std::string& source(kernel& k) { return k.node()->source; }

struct ratio {};
template <typename T>
double& runtime(kernel& k) {
  return k.node()->ratio;
}

struct tile {
  int col, row;
  tile(int c, int r) : col(c), row(r) {}
};
struct location_constraint {
  template <typename X>
  location_constraint& operator=(const X&) {
    return *this;
  }
  // Several buffers of one object (ping and pong): location<buffer>(x) = {address(...), address(...)}.
  location_constraint& operator=(std::initializer_list<location_constraint>) { return *this; }
};
// Placement has no meaning on the host: constraints are accepted and ignored. Buffer locations (UG1603): a kernel
// port's or shared buffer's buffers at an address or a bank of a tile (memory tiles: row 0 of the memory-tile rows).
struct buffer {};
inline location_constraint address(int col, int row, int offset) {
  (void)col, (void)row, (void)offset;
  return {};
}
inline location_constraint bank(int col, int row, int id) {
  (void)col, (void)row, (void)id;
  return {};
}
template <typename T, typename X>
location_constraint& location(X&&) {
  static location_constraint c;
  return c;
}

// ------------------------------------------------------------------------------------------------ runtime parameters
// (firmflow H4) Scalar runtime parameters (RTP): a kernel argument of scalar type (int8 ... int64, uint*, float) is a
// parameter input port; a graph's adf::input_port is bound to it with connect<parameter>(port, async(k.in[i])) or,
// synchronous, connect<parameter>(port, k.in[i]); the application writes it with graph.update(port, value).
// Asynchronous (sticky) parameters keep their last value for every later invocation; a kernel does not start
// before its first update. A synchronous (triggering) parameter is consumed by one invocation: each iteration needs
// an update of its own.

struct parameter {};

namespace host {
struct rtp_slot {
  std::string name;
  std::vector<std::uint8_t> value;  // the bytes of the last update
  elem type = elem::other;          // the type of the last update
  bool async = true, fresh = false;
};
struct rtp_binding {
  std::shared_ptr<rtp_slot> slot;
  bool async = true;
};
inline std::map<std::pair<const node*, int>, rtp_binding>& rtp_bindings() {
  static std::map<std::pair<const node*, int>, rtp_binding> b;
  return b;
}
// The bytes a kernel's parameter input `i` reads this invocation (fails when it was never written).
inline std::uint8_t* rtp_value(const node* k, int i, elem want) {
  auto it = rtp_bindings().find({k, i});
  if (it == rtp_bindings().end()) fail(k->name + ": runtime parameter input " + std::to_string(i) + " is not connected (connect<parameter>)");
  rtp_slot& s = *it->second.slot;
  if (s.value.empty()) fail(k->name + ": runtime parameter '" + s.name + "' was never written (graph.update before graph.run)");
  if (s.type != want) fail(k->name + ": runtime parameter '" + s.name + "' was written with another scalar type than the kernel argument");
  if (!it->second.async) {
    if (!s.fresh) fail(k->name + ": synchronous runtime parameter '" + s.name + "' was not updated for this iteration");
    s.fresh = false;
  }
  return s.value.data();
}
inline void rtp_check(const node* k, int i) {
  if (!rtp_bindings().count({k, i})) fail(k->name + ": runtime parameter input " + std::to_string(i) + " is not connected (connect<parameter>)");
}

// A scalar kernel argument, passed by value.
template <typename T>
struct rtp_arg {
  static constexpr bool is_in = true;
  static constexpr port_kind kind = port_kind::parameter;
  static constexpr elem type = elem_of<T>();
  T obj{};
  void bind(const port_slot& s) { std::memcpy(&obj, s.ptr, sizeof(T)); }
  T get() { return obj; }
};
template <> struct arg_of<std::int8_t> : rtp_arg<std::int8_t> {};
template <> struct arg_of<std::uint8_t> : rtp_arg<std::uint8_t> {};
template <> struct arg_of<std::int16_t> : rtp_arg<std::int16_t> {};
template <> struct arg_of<std::uint16_t> : rtp_arg<std::uint16_t> {};
template <> struct arg_of<std::int32_t> : rtp_arg<std::int32_t> {};
template <> struct arg_of<std::uint32_t> : rtp_arg<std::uint32_t> {};
template <> struct arg_of<std::int64_t> : rtp_arg<std::int64_t> {};
template <> struct arg_of<std::uint64_t> : rtp_arg<std::uint64_t> {};
template <> struct arg_of<float> : rtp_arg<float> {};
}  // namespace host

// A graph input port (port<input>) for a runtime parameter.
class input_port {
 public:
  input_port() : slot_(std::make_shared<host::rtp_slot>()) {}
  host::rtp_slot& slot() const { return *slot_; }
  const std::shared_ptr<host::rtp_slot>& shared() const { return slot_; }

 private:
  std::shared_ptr<host::rtp_slot> slot_;
};

// The destination of an asynchronous (sticky) or synchronous (triggering) parameter connection.
struct rtp_target {
  port_ref port;
  bool async;
};
inline rtp_target async(port_ref p) { return rtp_target{p, true}; }
inline rtp_target sync(port_ref p) { return rtp_target{p, false}; }

template <typename Kind>
void connect(input_port& from, rtp_target to) {
  static_assert(std::is_same_v<Kind, parameter>, "a graph input_port connects to a kernel with connect<adf::parameter>");
  const port_ref p = to.port;
  if (!p.owner || p.owner->kind != host::node_kind::kernel || !p.is_in) host::fail("connect<parameter>: the destination is not a kernel input");
  if (std::size_t(p.index) >= p.owner->ins.size() || p.owner->ins[std::size_t(p.index)].kind != host::port_kind::parameter) {
    host::fail("connect<parameter>: " + p.owner->name + ".in[" + std::to_string(p.index) + "] is not a scalar (runtime parameter) argument");
  }
  if (from.slot().name.empty()) from.slot().name = p.owner->name + ".in[" + std::to_string(p.index) + "]";
  host::rtp_bindings()[{p.owner, p.index}] = host::rtp_binding{from.shared(), to.async};
}
template <typename Kind>
void connect(input_port& from, port_ref to) {
  connect<Kind>(from, rtp_target{to, false});  // synchronous is the default for an input parameter
}

// ------------------------------------------------------------------------------------------------ graph and scheduler

namespace host {

inline std::string env_or(const char* name, const std::string& dflt) {
  const char* v = std::getenv(name);
  return v && *v ? std::string(v) : dflt;
}

inline std::string join_path(const std::string& dir, const std::string& file) {
  if (file.empty() || file[0] == '/' || dir.empty() || dir == ".") return file;
  return dir.back() == '/' ? dir + file : dir + "/" + file;
}

// The scheduler: resolves every port's element type and size, orders the nodes by their connections and runs them.
class runner {
 public:
  void prepare() {
    auto& R = reg();
    // Sources of every input port.
    for (auto& e : R.edges) src_[{e.to.owner, e.to.index}] = e.from;
    for (auto& e : R.edges) sinks_[{e.from.owner, e.from.index}].push_back(e.to);
    // Resolve shared-buffer port sizes, then plio types and sizes from their peers.
    for (auto& n : R.nodes) {
      if (n->kind != node_kind::shared_buffer) continue;
      auto* sb = static_cast<shared_buffer_node*>(n.get());
      for (std::size_t i = 0; i < sb->ins.size(); ++i) {
        auto it = sb->write.find(int(i));
        if (it == sb->write.end() || !it->second.defined()) fail(sb->name + ": input " + std::to_string(i) + " has no write_access");
        sb->ins[i].type = sb->type;
        sb->ins[i].dims = {std::uint32_t(it->second.indices().size())};
      }
      for (std::size_t i = 0; i < sb->outs.size(); ++i) {
        auto it = sb->read.find(int(i));
        if (it == sb->read.end() || !it->second.defined()) fail(sb->name + ": output " + std::to_string(i) + " has no read_access");
        sb->outs[i].type = sb->type;
        sb->outs[i].dims = {std::uint32_t(it->second.indices().size())};
      }
    }
    for (auto& n : R.nodes) {
      if (n->kind == node_kind::input_plio || n->kind == node_kind::input_gmio) {
        auto& sinks = sinks_[{n.get(), 0}];
        if (sinks.empty()) fail(std::string(n->kind == node_kind::input_gmio ? "input GMIO " : "input PLIO ") + n->name + " is connected to nothing");
        port_info& peer = sinks[0].owner->in_port(std::size_t(sinks[0].index));
        n->out_port(0) = port_info{port_kind::buffer, peer.type, peer.dims};
      }
    }
    for (auto& n : R.nodes) {
      if (n->kind == node_kind::output_plio) {
        auto it = src_.find({n.get(), 0});
        if (it == src_.end()) fail("output PLIO " + n->name + " is connected to nothing");
        port_info& peer = it->second.owner->out_port(std::size_t(it->second.index));
        n->in_port(0) = port_info{port_kind::buffer, peer.type, peer.dims};
      }
    }
    // Kernel buffer ports need their sizes; cascades get fifos.
    for (auto& n : R.nodes) {
      if (n->kind != node_kind::kernel) continue;
      for (std::size_t i = 0; i < n->ins.size(); ++i) {
        port_info& p = n->ins[i];
        if (p.kind == port_kind::parameter) {
          rtp_check(n.get(), int(i));
          continue;
        }
        auto it = src_.find({n.get(), int(i)});
        if (it == src_.end()) fail(n->name + ": input " + std::to_string(i) + " is not connected");
        if (p.kind == port_kind::buffer && p.dims.empty()) {
          port_info& peer = it->second.owner->out_port(std::size_t(it->second.index));
          if (peer.dims.empty()) fail(n->name + ": input " + std::to_string(i) + " has no dimensions");
          p.dims = peer.dims;
          if (p.async && p.repetition > 1) fail(n->name + ": async input " + std::to_string(i) + " has async_repetition but no dimensions");
        }
        if (p.kind == port_kind::buffer && p.repetition > 1 && !p.async) fail(n->name + ": input " + std::to_string(i) + " has async_repetition but is not an input_async_buffer");
      }
      for (std::size_t i = 0; i < n->outs.size(); ++i) {
        port_info& p = n->outs[i];
        if (p.kind == port_kind::cascade) {
          auto f = std::make_unique<cascade_fifo>();
          f->name = n->name + ".out[" + std::to_string(i) + "]";
          fifos_[{n.get(), int(i)}] = std::move(f);
        } else if (p.dims.empty()) {
          auto& sinks = sinks_[{n.get(), int(i)}];
          if (sinks.empty()) fail(n->name + ": output " + std::to_string(i) + " has no dimensions");
          p.dims = sinks[0].owner->in_port(std::size_t(sinks[0].index)).dims;
        }
      }
    }
    order();
    // PLIO input data.
    const std::string in_dir = env_or("FIRMFLOW_AIE_INPUT_DIR", ".");
    for (node* n : order_) {
      if (n->kind != node_kind::input_plio) continue;
      auto* p = static_cast<plio_node*>(n);
      const std::string path = join_path(in_dir, p->file);
      std::ifstream f(path);
      if (!f) fail("cannot read PLIO input " + path);
      std::vector<double>& vals = input_[n];
      std::string line;
      while (std::getline(f, line)) {
        if (line.empty() || line[0] == 'T' || line[0] == '#') continue;  // timestamps / TLAST markers of simulator files
        std::istringstream ls(line);
        double v;
        while (ls >> v) vals.push_back(v);
      }
    }
  }

  void iterate() {
    for (node* n : order_) {
      switch (n->kind) {
        case node_kind::input_plio: run_input(n); break;
        case node_kind::output_plio: run_output(n); break;
        case node_kind::shared_buffer: run_shared(static_cast<shared_buffer_node*>(n)); break;
        case node_kind::kernel: run_kernel(static_cast<kernel_node*>(n)); break;
        case node_kind::input_gmio: run_gmio(static_cast<gmio_node*>(n)); break;
      }
    }
    data_.clear();
  }

  void finish() {
    const std::string out_dir = env_or("FIRMFLOW_AIE_OUTPUT_DIR", "x86simulator_output");
    for (node* n : order_) {
      if (n->kind != node_kind::output_plio) continue;
      auto* p = static_cast<plio_node*>(n);
      const std::string path = join_path(out_dir, p->file);
      std::FILE* f = std::fopen(path.c_str(), "w");
      if (!f) fail("cannot write PLIO output " + path + " (does its folder exist?)");
      const elem t = n->ins[0].type;
      const std::size_t per = std::max<std::size_t>(1, p->width_bits / (8 * elem_size(t)));
      const std::vector<double>& v = output_[n];
      for (std::size_t i = 0; i < v.size(); i += per) {
        for (std::size_t j = 0; j < per; ++j) {
          const double x = i + j < v.size() ? v[i + j] : 0;
          // Floating-point types in decimal: %.9g round-trips every fp32 (and so every bf16) value exactly.
          if (t == elem::f32 || t == elem::bf16) std::fprintf(f, j ? " %.9g" : "%.9g", x);
          else std::fprintf(f, j ? " %lld" : "%lld", (long long)x);
        }
        std::fputc('\n', f);
      }
      std::fclose(f);
    }
  }

 private:
  using key = std::pair<node*, int>;

  void order() {
    auto& R = reg();
    std::map<node*, int> indeg;
    std::map<node*, std::vector<node*>> next;
    for (auto& n : R.nodes) indeg[n.get()] = 0;
    for (auto& e : R.edges) {
      indeg[e.to.owner]++;
      next[e.from.owner].push_back(e.to.owner);
    }
    std::deque<node*> ready;
    for (auto& n : R.nodes) if (indeg[n.get()] == 0) ready.push_back(n.get());
    while (!ready.empty()) {
      node* n = ready.front();
      ready.pop_front();
      order_.push_back(n);
      for (node* m : next[n]) if (--indeg[m] == 0) ready.push_back(m);
    }
    if (order_.size() != R.nodes.size()) fail("the graph has a cycle (feedback connections are not supported by the host model)");
  }

  // The data an input port receives this iteration.
  const std::vector<std::uint8_t>& incoming(node* n, int i) {
    auto it = src_.find({n, i});
    if (it == src_.end()) fail(n->name + ": input " + std::to_string(i) + " is not connected");
    auto d = data_.find({it->second.owner, it->second.index});
    if (d == data_.end()) fail(n->name + ": input " + std::to_string(i) + " read before its producer ran");
    return d->second;
  }

  void run_input(node* n) {
    const port_info& p = n->outs[0];
    std::size_t count = 1;
    for (auto d : p.dims) count *= d;
    std::vector<double>& vals = input_[n];
    std::size_t& at = cursor_[n];
    const std::size_t es = elem_size(p.type);
    std::vector<std::uint8_t> buf(count * es, 0);
    for (std::size_t i = 0; i < count; ++i) put_elem(buf.data() + i * es, p.type, at + i < vals.size() ? vals[at + i] : 0);
    if (at + count > vals.size()) std::fprintf(stderr, "firmflow AIE host model: PLIO input %s ran out of data (zeros follow)\n", n->name.c_str());
    at += count;
    data_[{n, 0}] = std::move(buf);
  }

  // Bytes a GMIO input delivers per graph iteration (its peer's port size).
  std::size_t gmio_bytes(const node* n) const {
    const port_info& p = n->outs[0];
    std::size_t count = 1;
    for (auto d : p.dims) count *= d;
    return count * elem_size(p.type);
  }


 public:
  // Whether every GMIO input holds the data of one more graph iteration.
  bool ready() const {
    for (node* n : order_)
      if (n->kind == node_kind::input_gmio && static_cast<gmio_node*>(n)->queue.size() < gmio_bytes(n)) return false;
    return true;
  }

  std::string starving() const {
    for (node* n : order_)
      if (n->kind == node_kind::input_gmio && static_cast<gmio_node*>(n)->queue.size() < gmio_bytes(n))
        return "GMIO " + n->name + " holds " + std::to_string(static_cast<gmio_node*>(n)->queue.size()) + " bytes, an iteration needs " + std::to_string(gmio_bytes(n)) + " (gm2aie_nb)";
    return "";
  }

 private:
  void run_gmio(gmio_node* n) {
    const std::size_t b = gmio_bytes(n);
    if (n->queue.size() < b) fail("GMIO " + n->name + ": a graph iteration needs " + std::to_string(b) + " bytes, " + std::to_string(n->queue.size()) + " were sent");
    std::vector<std::uint8_t> buf(n->queue.begin(), n->queue.begin() + std::ptrdiff_t(b));
    n->queue.erase(n->queue.begin(), n->queue.begin() + std::ptrdiff_t(b));
    data_[{n, 0}] = std::move(buf);
  }

  void run_output(node* n) {
    const std::vector<std::uint8_t>& d = incoming(n, 0);
    const elem t = n->ins[0].type;
    const std::size_t es = elem_size(t);
    auto& o = output_[n];
    for (std::size_t i = 0; i + es <= d.size(); i += es) o.push_back(get_elem(d.data() + i, t));
  }

  void run_shared(shared_buffer_node* sb) {
    const std::size_t es = elem_size(sb->type);
    std::size_t total = 1;
    for (auto d : sb->dims) total *= d;
    std::vector<std::uint8_t> buf(total * es, 0);
    for (std::size_t i = 0; i < sb->ins.size(); ++i) {
      const std::vector<std::uint8_t>& d = incoming(sb, int(i));
      const std::vector<std::int64_t>& idx = pattern(sb, true, int(i));
      if (d.size() != idx.size() * es) fail(sb->name + ": input " + std::to_string(i) + " got " + std::to_string(d.size() / es) + " elements, its write access covers " + std::to_string(idx.size()));
      for (std::size_t j = 0; j < idx.size(); ++j)
        if (idx[j] >= 0 && std::size_t(idx[j]) < total) std::memcpy(buf.data() + std::size_t(idx[j]) * es, d.data() + j * es, es);
    }
    for (std::size_t i = 0; i < sb->outs.size(); ++i) {
      const std::vector<std::int64_t>& idx = pattern(sb, false, int(i));
      std::vector<std::uint8_t> o(idx.size() * es, 0);
      for (std::size_t j = 0; j < idx.size(); ++j)
        if (idx[j] >= 0 && std::size_t(idx[j]) < total) std::memcpy(o.data() + j * es, buf.data() + std::size_t(idx[j]) * es, es);
      data_[{sb, int(i)}] = std::move(o);
    }
  }

  const std::vector<std::int64_t>& pattern(shared_buffer_node* sb, bool write, int i) {
    auto& cache = write ? wpat_ : rpat_;
    auto it = cache.find({sb, i});
    if (it != cache.end()) return it->second;
    return cache[{sb, i}] = (write ? sb->write[i] : sb->read[i]).indices();
  }

  void run_kernel(kernel_node* k) {
    std::vector<port_slot> ins(k->ins.size()), outs(k->outs.size());
    std::vector<std::vector<std::uint8_t>> inbuf(k->ins.size()), outbuf(k->outs.size());
    for (std::size_t i = 0; i < k->ins.size(); ++i) {
      const port_info& p = k->ins[i];
      if (p.kind == port_kind::cascade) {
        const port_ref& s = src_[{k, int(i)}];
        ins[i].fifo = fifos_.at({s.owner, s.index}).get();
        continue;
      }
      if (p.kind == port_kind::parameter) {
        ins[i].ptr = rtp_value(k, int(i), p.type);
        ins[i].n = 1;
        continue;
      }
      std::size_t count = 1;
      for (auto d : p.dims) count *= d;
      if (p.async) count *= p.repetition;
      const std::vector<std::uint8_t>& d = incoming(k, int(i));
      if (d.size() != count * elem_size(p.type)) fail(k->name + ": input " + std::to_string(i) + " got " + std::to_string(d.size()) + " bytes, expects " + std::to_string(count * elem_size(p.type)) + (p.async ? " (async_repetition " + std::to_string(p.repetition) + ")" : ""));
      inbuf[i] = d;
      ins[i].ptr = inbuf[i].data();
      ins[i].n = count;
      ins[i].repetition = p.async ? p.repetition : 1;
    }
    for (std::size_t i = 0; i < k->outs.size(); ++i) {
      const port_info& p = k->outs[i];
      if (p.kind == port_kind::cascade) {
        outs[i].fifo = fifos_.at({k, int(i)}).get();
        continue;
      }
      std::size_t count = 1;
      for (auto d : p.dims) count *= d;
      outbuf[i].assign(count * elem_size(p.type), 0);
      outs[i].ptr = outbuf[i].data();
      outs[i].n = count;
    }
    k->invoke(ins, outs);
    for (std::size_t i = 0; i < k->ins.size(); ++i)
      if (k->ins[i].async && (ins[i].acquired != ins[i].repetition || ins[i].released != ins[i].repetition))
        fail(k->name + ": async input " + std::to_string(i) + " receives " + std::to_string(ins[i].repetition) + " buffers per iteration; the kernel acquired " + std::to_string(ins[i].acquired) + " and released " + std::to_string(ins[i].released));
    for (std::size_t i = 0; i < k->outs.size(); ++i)
      if (k->outs[i].kind == port_kind::buffer) data_[{k, int(i)}] = std::move(outbuf[i]);
  }

  std::map<key, port_ref> src_;
  std::map<key, std::vector<port_ref>> sinks_;
  std::map<key, std::unique_ptr<cascade_fifo>> fifos_;
  std::map<key, std::vector<std::uint8_t>> data_;
  std::map<key, std::vector<std::int64_t>> wpat_, rpat_;
  std::map<node*, std::vector<double>> input_, output_;
  std::map<node*, std::size_t> cursor_;
  std::vector<node*> order_;
};

}  // namespace host

enum return_code { ok = 0, error = 1 };

class graph {
 public:
  graph() = default;
  virtual ~graph() = default;
  return_code init() {
    runner_ = std::make_unique<host::runner>();
    runner_->prepare();
    return ok;
  }
  // Writes a runtime parameter (see "runtime parameters"); iterations that run after it read the new value.
  template <typename T>
  return_code update(input_port& p, T value) {
    static_assert(std::is_arithmetic_v<T>, "graph.update: a scalar runtime parameter");
    host::rtp_slot& s = p.slot();
    s.value.resize(sizeof(T));
    std::memcpy(s.value.data(), &value, sizeof(T));
    s.type = host::elem_of<T>();
    s.fresh = true;
    return ok;
  }
  // As on the device, run() does not block: iterations run as soon as their inputs are there (PLIO files at once;
  // GMIO inputs when the application has sent an iteration's data with gm2aie_nb). wait() / end() finish them.
  return_code run(int iterations = 1) {
    if (!runner_) init();
    pending_ += host::iterations(iterations);
    host::progress().fn = [this] { advance(); };
    advance();
    return ok;
  }
  return_code wait() {
    advance();
    if (pending_ > 0) host::fail("graph wait(): " + std::to_string(pending_) + " iteration(s) cannot run: " + runner_->starving());
    return ok;
  }
  return_code end() {
    if (runner_) {
      wait();
      runner_->finish();
    }
    host::progress().fn = nullptr;
    runner_.reset();
    return ok;
  }

 private:
  void advance() {
    while (runner_ && pending_ > 0 && runner_->ready()) {
      runner_->iterate();
      --pending_;
    }
  }
  std::unique_ptr<host::runner> runner_;
  int pending_ = 0;
};

// ------------------------------------------------------------------------------------------------ GMIO

// DDR <-> AI Engine transfers through the interface tiles' DMA, driven by the application (PS) program.
class GMIO {
 public:
  static void* malloc(std::size_t size) { return std::malloc(size); }
  static void free(void* address) { std::free(address); }
  // Transfers complete when the graph consumes them; a host graph consumes them in wait() / end() at the latest.
  return_code wait() { return ok; }
};

class input_gmio : public GMIO {
 public:
  port_list out;
  input_gmio() = default;
  static input_gmio create(const std::string& name, std::size_t burst_length, std::size_t bandwidth) {
    if (burst_length != 64 && burst_length != 128 && burst_length != 256) host::fail("input_gmio " + name + ": burst_length must be 64, 128 or 256 bytes");
    (void)bandwidth;
    auto n = std::make_shared<host::gmio_node>();
    n->name = name;
    host::reg().nodes.push_back(n);
    input_gmio g;
    g.n_ = n;
    g.out = port_list(n, false);
    return g;
  }
  // Non-blocking DDR -> AI Engine transfer of `size` bytes from `address` (the data is taken at the call here).
  return_code gm2aie_nb(const void* address, std::size_t size) {
    if (!n_) host::fail("gm2aie_nb on a GMIO that was never created");
    const auto* b = static_cast<const std::uint8_t*>(address);
    n_->queue.insert(n_->queue.end(), b, b + size);
    if (host::progress().fn) host::progress().fn();
    return ok;
  }
  return_code gm2aie(const void* address, std::size_t size) { return gm2aie_nb(address, size); }

 private:
  std::shared_ptr<host::gmio_node> n_;
};

}  // namespace adf
