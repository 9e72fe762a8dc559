// What this build's host code was compiled for: benchmarks and `--version` say it, since the
// training engine and batched inference run at the speed of the vector unit they were built for.
#pragma once

namespace hp {

// The vector instruction set the compiler was allowed (the build's -march, CMake's HP_MARCH).
constexpr const char* vector_isa()
{
#if defined(__AVX512F__)
    return "x86-64 AVX-512 + FMA";
#elif defined(__AVX2__) && defined(__FMA__)
    return "x86-64 AVX2 + FMA";
#elif defined(__AVX__)
    return "x86-64 AVX";
#elif defined(__x86_64__)
    return "x86-64 SSE2 (baseline)";
#elif defined(__aarch64__)
    return "AArch64 NEON";
#else
    return "portable C (no vector unit known)";
#endif
}

}  // namespace hp
