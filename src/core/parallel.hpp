// Splitting work over frames into contiguous chunks, one per thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace hp {

// Calls chunk(begin, end) for contiguous ranges covering [0, count), on up to `threads` threads
// (0: all cores), each thread getting at least `min_per_thread` items (a smaller job is not worth
// a thread) and every range but the last starting and ending on a multiple of `align` (a batched
// kernel's block). Each call gets its own range, so chunk can keep per-thread state (scratch
// memory) in locals. Rethrows the first exception a chunk threw.
template <class Chunk>
void parallel_chunks(size_t count, int threads, Chunk chunk, size_t min_per_thread = 256, size_t align = 1)
{
    size_t n = threads > 0 ? size_t(threads) : std::max(1u, std::thread::hardware_concurrency());
    n = std::min(n, std::max<size_t>(1, count / std::max<size_t>(1, min_per_thread)));
    if (n <= 1) {
        chunk(size_t(0), count);
        return;
    }
    auto boundary = [&](size_t t) { return t == n ? count : count * t / n / align * align; };
    std::vector<std::exception_ptr> errors(n);
    std::vector<std::thread> pool;
    for (size_t t = 0; t < n; t++)
        pool.emplace_back([&, t] {
            try {
                chunk(boundary(t), boundary(t + 1));
            } catch (...) {
                errors[t] = std::current_exception();
            }
        });
    for (auto& thread : pool) thread.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace hp
