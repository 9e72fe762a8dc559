#!/usr/bin/python3
"""Writes the small .npy/.npz files of tests/fixtures/npz/ with numpy itself, as an independent
reference for our reader (npz_test.cpp, datalog_test.cpp) and seeds for fuzz/fuzz_npz.cpp.
Run once; the output is committed.

Numeric arrays hold f(i) for i = 0..23 in C order, shape (2, 3, 4):
  float: i * 0.25 - 2;  int: i - 5 (int8 range: i);  bool: i % 3 == 0.
"""
import io
import os
import shutil
import zipfile

import numpy as np

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../tests/fixtures/npz")
FUZZ = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../fuzz/seeds/fuzz_npz")


def values(dtype):
    i = np.arange(24).reshape(2, 3, 4)
    if dtype in ("<f8", "<f4"):
        return (i * 0.25 - 2).astype(dtype)
    if dtype in ("<i8", "<i4"):
        return (i - 5).astype(dtype)
    if dtype == "|u1":
        return i.astype(np.uint8)
    return i % 3 == 0


def save(name, array, version=None, fortran=False):
    if fortran:
        array = np.asfortranarray(array)
    with open(os.path.join(OUT, name), "wb") as f:
        np.lib.format.write_array(f, array, version=version)


def npy_bytes(array, version=(1, 0)):
    f = io.BytesIO()
    np.lib.format.write_array(f, array, version=version)
    return f.getvalue()


def raw_npy(header, data=b""):
    """An .npy file with a hand-written (possibly bad) header."""
    text = header.encode("latin1")
    text += b" " * ((64 - (10 + len(text) + 1) % 64) % 64) + b"\n"
    return b"\x93NUMPY\x01\x00" + len(text).to_bytes(2, "little") + text + data


def write(name, data):
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(data)


def datalog(zones, frames, fields=("target_status", "valid", "signal_per_spad", "distance_mm"), glob_frames=None):
    """An ST-style datalog: field f, zone z, frame n holds 1000 f + 10 n + z / 100 (status 5)."""
    f, z, n = np.meshgrid(np.arange(len(fields)), np.arange(zones), np.arange(frames), indexing="ij")
    zone_data = 1000.0 * f + 10.0 * n + z / 100.0
    for k, name in enumerate(fields):
        if name == "target_status":
            zone_data[k] = 5.0
    glob_frames = frames if glob_frames is None else glob_frames
    buffer = io.BytesIO()
    np.savez_compressed(buffer, start_tstmp=np.float64(1683125799.5), end_tstmp=np.float64(1683125800.25),
                        zone_data=zone_data, glob_data=np.full((1, glob_frames), 21.0),
                        zone_head=np.array(fields), glob_head=np.array([".GestureGT"]))
    return buffer.getvalue()


def main():
    shutil.rmtree(OUT, ignore_errors=True)
    os.makedirs(OUT)
    names = {"<f8": "f8", "<f4": "f4", "<i8": "i8", "<i4": "i4", "|u1": "u1", "|b1": "b1"}
    for dtype, short in names.items():
        save("%s_c.npy" % short, values(dtype))
        save("%s_fortran.npy" % short, values(dtype), fortran=True)
    save("f8_v2.npy", values("<f8"), version=(2, 0))
    save("f8_v3_fortran.npy", values("<f8"), version=(3, 0), fortran=True)
    save("strings_u7.npy", np.array(["a", "zone_\u00e9", "\u20acx", "\U0001d11e", "seven77"]))
    save("scalar.npy", np.float64(3.5))
    save("empty.npy", np.zeros((0, 3)))
    # Fortran order of a 2-D string array.
    save("strings_fortran.npy", np.array([["ab", "c"], ["d", "efg"]]), fortran=True)

    arrays = {"a": values("<f8"), "b": values("<i4"), "names": np.array(["distance_mm", "valid"])}
    np.savez(os.path.join(OUT, "stored.npz"), **arrays)
    np.savez_compressed(os.path.join(OUT, "deflated.npz"), **arrays)

    # Bad inputs.
    write("not_a_zip.npz", b"this is not a zip archive\n" * 4)
    whole = open(os.path.join(OUT, "deflated.npz"), "rb").read()
    write("truncated.npz", whole[: len(whole) // 2])
    # A stored entry whose data no longer matches its CRC (one byte of the array changed).
    stored = bytearray(open(os.path.join(OUT, "stored.npz"), "rb").read())
    at = stored.find(npy_bytes(values("<f8"))) + 200
    stored[at] ^= 0x55
    write("bad_crc.npz", bytes(stored))
    write("bad_magic.npy", b"\x93NUMPX\x01\x00" + npy_bytes(values("<f8"))[8:])
    write("bad_version.npy", b"\x93NUMPY\x04\x00" + npy_bytes(values("<f8"))[8:])
    data = values("<f8").tobytes()
    write("bad_header_syntax.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4) ", data))
    write("bad_header_key.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 4), 'extra': 1, }", data))
    write("bad_header_missing.npy", raw_npy("{'descr': '<f8', 'shape': (2, 3, 4), }", data))
    write("bad_header_fortran.npy", raw_npy("{'descr': '<f8', 'fortran_order': 0, 'shape': (2, 3, 4), }", data))
    write("bad_header_shape.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, -3, 4), }", data))
    write("bad_header_overflow.npy",
          raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4294967296, 4294967296, 16), }", data))
    write("wrong_shape.npy", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3, 5), }", data))
    write("big_endian.npy", npy_bytes(values("<f8").astype(">f8")))
    write("complex.npy", npy_bytes(values("<f8").astype("<c16")))
    write("int16.npy", npy_bytes(values("<i4").astype("<i2")))
    write("structured.npy", npy_bytes(np.zeros(3, dtype=[("x", "<f8"), ("y", "<i4")])))

    # Datalogs.
    write("datalog_8x8.npz", datalog(64, 3))
    write("datalog_4x4_nb.npz", datalog(16, 2, fields=("distance_mm", "nb_target_detected", "target_status",
                                                        "signal_per_spad", "valid")))
    write("datalog_no_valid.npz", datalog(64, 2, fields=("target_status", "signal_per_spad", "distance_mm")))
    write("datalog_32_zones.npz", datalog(32, 2))
    write("datalog_frames_differ.npz", datalog(64, 3, glob_frames=4))

    # Datalogs whose npz holds a bad .npy entry.
    good = np.load(io.BytesIO(datalog(64, 2)))
    bad_entries = {
        "datalog_bad_header.npz": ("zone_head", raw_npy("{'descr': '<U15', 'fortran_order': False, 'shape': (4,) ")),
        "datalog_bad_dtype.npz": ("zone_data", npy_bytes(good["zone_data"].astype("<c16"))),
        "datalog_wrong_shape.npz": ("zone_data", raw_npy("{'descr': '<f8', 'fortran_order': False, 'shape': (4, 64, 3), }",
                                                         good["zone_data"].tobytes())),
    }
    for name, (bad_key, bad_bytes) in bad_entries.items():
        with zipfile.ZipFile(os.path.join(OUT, name), "w", zipfile.ZIP_DEFLATED) as z:
            for key in good.files:
                info = zipfile.ZipInfo(key + ".npy", date_time=(2023, 5, 3, 16, 56, 39))
                info.compress_type = zipfile.ZIP_DEFLATED
                z.writestr(info, bad_bytes if key == bad_key else npy_bytes(good[key]))

    os.makedirs(FUZZ, exist_ok=True)
    for name in ("deflated.npz", "stored.npz", "datalog_4x4_nb.npz", "datalog_8x8.npz"):
        shutil.copy(os.path.join(OUT, name), os.path.join(FUZZ, name))
    print("wrote", len(os.listdir(OUT)), "files to", OUT)


if __name__ == "__main__":
    main()
