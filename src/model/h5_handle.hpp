// Owning wrapper of an HDF5 C API identifier (hid_t): closes it with the matching H5*close.
#pragma once

#include <hdf5.h>

#include <utility>

namespace hp {

class H5Handle {
public:
    using Closer = herr_t (*)(hid_t);
    H5Handle() = default;
    H5Handle(hid_t id, Closer close) : id_(id), close_(close) {}
    H5Handle(const H5Handle&) = delete;
    H5Handle& operator=(const H5Handle&) = delete;
    H5Handle(H5Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)), close_(other.close_) {}
    H5Handle& operator=(H5Handle&& other) noexcept
    {
        if (this != &other) {
            reset();
            id_ = std::exchange(other.id_, H5I_INVALID_HID);
            close_ = other.close_;
        }
        return *this;
    }
    ~H5Handle() { reset(); }

    hid_t get() const { return id_; }
    bool valid() const { return id_ >= 0; }
    // Gives up ownership (the caller closes the id).
    hid_t release() { return std::exchange(id_, H5I_INVALID_HID); }
    void reset()
    {
        if (id_ >= 0 && close_) close_(id_);
        id_ = H5I_INVALID_HID;
    }

private:
    hid_t id_ = H5I_INVALID_HID;
    Closer close_ = nullptr;
};

inline H5Handle h5_file(hid_t id) { return {id, H5Fclose}; }
inline H5Handle h5_group(hid_t id) { return {id, H5Gclose}; }
inline H5Handle h5_dataset(hid_t id) { return {id, H5Dclose}; }
inline H5Handle h5_attribute(hid_t id) { return {id, H5Aclose}; }
inline H5Handle h5_type(hid_t id) { return {id, H5Tclose}; }
inline H5Handle h5_space(hid_t id) { return {id, H5Sclose}; }
inline H5Handle h5_plist(hid_t id) { return {id, H5Pclose}; }

}  // namespace hp
