// Splitting work over frames into contiguous chunks, one per thread.
#pragma once

#include <algorithm>
#include <cstddef>
#include <exception>
#include <thread>
#include <vector>

namespace hp {

// Calls chunk(begin, end) for contiguous ranges covering [0, count), on up to `threads` threads
// (0: all cores). Each call gets its own range, so chunk can keep per-thread state (scratch
// memory) in locals. Rethrows the first exception a chunk threw.
template <class Chunk>
void parallel_chunks(size_t count, int threads, Chunk chunk)
{
    size_t n = threads > 0 ? size_t(threads) : std::max(1u, std::thread::hardware_concurrency());
    n = std::min(n, std::max<size_t>(1, count / 256));  // small jobs are not worth a thread
    if (n <= 1) {
        chunk(size_t(0), count);
        return;
    }
    std::vector<std::exception_ptr> errors(n);
    std::vector<std::thread> pool;
    for (size_t t = 0; t < n; t++)
        pool.emplace_back([&, t] {
            try {
                chunk(count * t / n, count * (t + 1) / n);
            } catch (...) {
                errors[t] = std::current_exception();
            }
        });
    for (auto& thread : pool) thread.join();
    for (auto& e : errors)
        if (e) std::rethrow_exception(e);
}

}  // namespace hp
