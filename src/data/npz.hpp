// NumPy .npy arrays and .npz archives (a zip of .npy entries), read and written without Python.
//
// Reader: npy format versions 1.0, 2.0 and 3.0; dtypes <f8 <f4 <i8 <i4 |u1 |b1 <U<n> (UTF-32LE);
// C or Fortran order (Fortran arrays are transposed to C order on reading); npz entries stored or
// deflated, CRC checked. The header, a Python dict literal, is parsed strictly and every size is
// checked against the data length. Every problem throws hp::Error naming the archive and entry.
// Writer: npy version 1.0, C order; npz entries deflated, with a fixed timestamp (same input,
// same bytes).
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <utility>
#include <vector>

namespace hp::npy {

enum class DType { f8, f4, i8, i4, u1, b1, unicode };

struct Array {
    DType dtype = DType::f8;
    size_t unicode_chars = 0;         // <U<n>: n, the characters per element
    std::vector<size_t> shape;        // empty = a scalar (one element)
    std::vector<unsigned char> data;  // C order, little-endian, count() * item_size() bytes

    size_t count() const;      // product of shape
    size_t item_size() const;  // bytes per element
    // Every element as a double, C order. Throws hp::Error for a string array.
    std::vector<double> to_f64() const;
    // Every element of a <U<n> array as UTF-8, trailing NULs removed. Throws hp::Error otherwise.
    std::vector<std::string> to_strings() const;

    static Array from_f64(std::vector<size_t> shape, std::span<const double> values);
    // A 1-D <U<n> array, n = the longest string (at least 1), like numpy.array(strings).
    static Array from_strings(const std::vector<std::string>& strings);
};

// numpy's descr string of an array, e.g. "<f8", "<U15".
std::string descr(const Array& array);

// Parses one .npy file; `name` appears in error messages.
Array parse_npy(std::span<const unsigned char> bytes, const std::string& name);
std::vector<unsigned char> format_npy(const Array& array);

// An .npz archive: (entry name without ".npy", array), in archive order.
using Npz = std::vector<std::pair<std::string, Array>>;

Npz read_npz(std::span<const unsigned char> bytes, const std::string& name);
std::vector<unsigned char> write_npz(const Npz& arrays);

}  // namespace hp::npy
