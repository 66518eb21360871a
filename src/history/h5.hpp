#pragma once
// RAII handles and checked calls over the HDF5 C API, in the manner of HighFive's
// bits/h5*_wrapper.hpp: every HDF5 call the log makes goes through this file, so a failure
// becomes an amorsize::error that names the call, the object and HDF5's own reason, and no
// handle is ever leaked. HDF5 prints nothing itself while a `Quiet` is alive.
#include <hdf5.h>
#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "amorsize/error.hpp"

namespace amorsize::detail::h5 {

// --- errors ---------------------------------------------------------------------------------

inline herr_t collect_error(unsigned /*n*/, const H5E_error2_t* entry, void* data) {
  auto& out = *static_cast<std::vector<std::string>*>(data);
  std::string desc = entry->desc ? entry->desc : "";
  if (desc.empty() && entry->func_name) desc = entry->func_name;
  for (char& c : desc)
    if (c == '\n' || c == '\r') c = ' ';  // messages stay on one line
  if (!desc.empty()) out.push_back(std::move(desc));
  return 0;
}

/// HDF5's innermost reasons are long ("file write failed: time = ..., filename = ..., errno =
/// 28, error message = 'No space left on device', buf = ..."); keep what it failed to do and
/// the system's message.
inline std::string short_reason(const std::string& desc) {
  const std::string key = "error message = '";
  const auto at = desc.find(key);
  if (at == std::string::npos) return desc;
  const auto end = desc.find('\'', at + key.size());
  const std::string message = desc.substr(at + key.size(), end - at - key.size());
  const auto cut = std::min(desc.find(", "), desc.find(": "));
  return desc.substr(0, cut) + ": " + message;
}

/// HDF5's error stack as one line: the outermost reason and the innermost one. Must be read
/// right after the failed call: the next API call clears the stack.
inline std::string error_stack() {
  std::vector<std::string> lines;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_DOWNWARD, collect_error, &lines);
  if (lines.empty()) return "no reason given by HDF5";
  if (lines.size() == 1) return short_reason(lines.front());
  return lines.front() + ": " + short_reason(lines.back());
}

/// Throws amorsize::error for a failed call: "H5Dwrite(chunks): <HDF5's reasons>".
[[noreturn]] inline void fail(const char* call, const char* name) {
  std::string what = call;
  if (name) what += std::string("(") + name + ")";
  throw error(what + ": " + error_stack());
}

/// Returns `result` when the call succeeded (non-negative), throws otherwise.
template <class T>
T check(T result, const char* call, const char* name = nullptr) {
  if (result < 0) fail(call, name);
  return result;
}

/// Turns HDF5's automatic error printing off while alive and restores what was there before,
/// so a program that uses HDF5 itself keeps its own setting.
class Quiet {
 public:
  Quiet() {
    H5Eget_auto2(H5E_DEFAULT, &func_, &data_);
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
  }
  ~Quiet() { H5Eset_auto2(H5E_DEFAULT, func_, data_); }
  Quiet(const Quiet&) = delete;
  Quiet& operator=(const Quiet&) = delete;

 private:
  H5E_auto2_t func_ = nullptr;
  void* data_ = nullptr;
};

// --- handles --------------------------------------------------------------------------------

/// Owns one hid_t and closes it with the matching H5?close.
template <herr_t (*Close)(hid_t)>
class Handle {
 public:
  Handle() = default;
  /// Takes the result of an H5?create/open call; throws when it failed.
  Handle(hid_t id, const char* call, const char* name = nullptr) : id_(check(id, call, name)) {}
  ~Handle() { reset(); }
  Handle(Handle&& other) noexcept : id_(std::exchange(other.id_, H5I_INVALID_HID)) {}
  Handle& operator=(Handle&& other) noexcept {
    if (this != &other) {
      reset();
      id_ = std::exchange(other.id_, H5I_INVALID_HID);
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;

  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }

  /// Closes now. A failed close (e.g. a last flush on a full disk) is ignored: there is no one
  /// left to tell, and the run must go on.
  void reset() {
    if (id_ >= 0) {
      Quiet quiet;
      Close(id_);
      id_ = H5I_INVALID_HID;
    }
  }

 private:
  hid_t id_ = H5I_INVALID_HID;
};

using File = Handle<H5Fclose>;
using Group = Handle<H5Gclose>;
using Dataset = Handle<H5Dclose>;
using Space = Handle<H5Sclose>;
using Type = Handle<H5Tclose>;
using Attribute = Handle<H5Aclose>;
using Plist = Handle<H5Pclose>;

// --- types ----------------------------------------------------------------------------------

/// A variable-length string type (UTF-8 unless `cset` says otherwise).
inline Type string_type(H5T_cset_t cset = H5T_CSET_UTF8) {
  Type t(H5Tcopy(H5T_C_S1), "H5Tcopy", "string");
  check(H5Tset_size(t.get(), H5T_VARIABLE), "H5Tset_size", "string");
  check(H5Tset_cset(t.get(), cset), "H5Tset_cset", "string");
  return t;
}

/// One member of a compound type: where it lies in the C++ row, its native type there and its
/// (little-endian, standard) type in the file.
struct Field {
  const char* name;
  std::size_t offset;
  hid_t memory;
  hid_t file;
};

/// A row type: `memory` has the C++ struct's layout, `file` the same members packed in order.
/// HDF5 converts between them member by member, by name.
struct Compound {
  Type memory;
  Type file;
};

/// H5Tget_size, which reports failure as 0.
inline std::size_t type_size(hid_t type, const char* name) {
  const std::size_t size = H5Tget_size(type);
  if (size == 0) fail("H5Tget_size", name);
  return size;
}

inline Compound compound(std::size_t size, std::initializer_list<Field> fields) {
  std::size_t file_size = 0;
  for (const Field& f : fields) file_size += type_size(f.file, f.name);
  Compound c{Type(H5Tcreate(H5T_COMPOUND, size), "H5Tcreate", "compound"),
             Type(H5Tcreate(H5T_COMPOUND, file_size), "H5Tcreate", "compound")};
  std::size_t offset = 0;
  for (const Field& f : fields) {
    check(H5Tinsert(c.memory.get(), f.name, f.offset, f.memory), "H5Tinsert", f.name);
    check(H5Tinsert(c.file.get(), f.name, offset, f.file), "H5Tinsert", f.name);
    offset += type_size(f.file, f.name);
  }
  return c;
}

// --- files, groups, links -------------------------------------------------------------------

inline Plist file_access(bool lock) {
  Plist fapl(H5Pcreate(H5P_FILE_ACCESS), "H5Pcreate", "file access");
  // The POSIX driver, whatever the environment says: divert() relies on its descriptor.
  check(H5Pset_fapl_sec2(fapl.get()), "H5Pset_fapl_sec2");
#if H5_VERSION_GE(1, 10, 7)
  // ignore_when_disabled: file systems without flock (Lustre mounted without it) still work.
  check(H5Pset_file_locking(fapl.get(), lock, true), "H5Pset_file_locking");
#else
  (void)lock;
#endif
  return fapl;
}

inline File create_file(const std::string& path, unsigned flags, bool lock) {
  Plist fapl = file_access(lock);
  return File(H5Fcreate(path.c_str(), flags, H5P_DEFAULT, fapl.get()), "H5Fcreate");
}

inline File open_file(const std::string& path, bool write, bool lock) {
  Plist fapl = file_access(lock);
  return File(H5Fopen(path.c_str(), write ? H5F_ACC_RDWR : H5F_ACC_RDONLY, fapl.get()), "H5Fopen");
}

/// Points an open file's descriptor at an anonymous in-memory file, so that HDF5 can write what
/// it still holds and close the file without error; the file on disk stays as it was. Used
/// once a write has failed: a failed H5Fclose leaves HDF5 1.10 with a freed file under a live
/// id, and the library's own cleanup at exit then crashes the program.
inline void divert(hid_t file) {
  void* handle = nullptr;
  if (H5Fget_vfd_handle(file, H5P_DEFAULT, &handle) < 0 || handle == nullptr) return;
  const int fd = *static_cast<int*>(handle);  // the sec2 driver's handle is its descriptor
#ifdef MFD_CLOEXEC
  const int sink = memfd_create("amorsize-log-diverted", MFD_CLOEXEC);
#else
  std::FILE* tmp = std::tmpfile();
  const int sink = tmp ? dup(fileno(tmp)) : -1;
  if (tmp) std::fclose(tmp);
#endif
  if (sink < 0) return;
  dup2(sink, fd);  // also drops this process's lock on the log
  ::close(sink);
}

/// H5Fis_hdf5: >0 yes, 0 no, <0 could not tell (HDF5's reason is on the stack).
inline htri_t is_hdf5(const std::string& path) {
  return H5Fis_hdf5(path.c_str());
}

/// Writes everything HDF5 holds in memory for the file to the operating system.
inline void flush(hid_t file) {
  check(H5Fflush(file, H5F_SCOPE_GLOBAL), "H5Fflush");
}

inline bool link_exists(hid_t loc, const char* name) {
  return check(H5Lexists(loc, name, H5P_DEFAULT), "H5Lexists", name) > 0;
}

inline Group open_group(hid_t loc, const char* name) {
  return Group(H5Gopen2(loc, name, H5P_DEFAULT), "H5Gopen", name);
}

inline Group create_group(hid_t loc, const char* name) {
  return Group(H5Gcreate2(loc, name, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT), "H5Gcreate", name);
}

inline herr_t collect_name(hid_t /*group*/, const char* name, const H5L_info_t* /*info*/,
                           void* data) {
  static_cast<std::vector<std::string>*>(data)->emplace_back(name);
  return 0;
}

/// The names of a group's members, in name order.
inline std::vector<std::string> member_names(hid_t group) {
  std::vector<std::string> names;
  hsize_t index = 0;
  check(H5Literate(group, H5_INDEX_NAME, H5_ITER_INC, &index, collect_name, &names), "H5Literate");
  return names;
}

// --- attributes -----------------------------------------------------------------------------

template <class T>
struct Scalar;
template <>
struct Scalar<std::int64_t> {
  static hid_t memory() { return H5T_NATIVE_INT64; }
  static hid_t file() { return H5T_STD_I64LE; }
};
template <>
struct Scalar<std::int32_t> {
  static hid_t memory() { return H5T_NATIVE_INT32; }
  static hid_t file() { return H5T_STD_I32LE; }
};
template <>
struct Scalar<std::int8_t> {
  static hid_t memory() { return H5T_NATIVE_INT8; }
  static hid_t file() { return H5T_STD_I8LE; }
};
template <>
struct Scalar<double> {
  static hid_t memory() { return H5T_NATIVE_DOUBLE; }
  static hid_t file() { return H5T_IEEE_F64LE; }
};

inline bool attribute_exists(hid_t object, const char* name) {
  return check(H5Aexists(object, name), "H5Aexists", name) > 0;
}

/// Creates a scalar attribute, replacing one of the same name.
inline void write_attribute(hid_t object, const char* name, hid_t file_type, hid_t memory_type,
                            const void* value) {
  if (attribute_exists(object, name)) check(H5Adelete(object, name), "H5Adelete", name);
  Space space(H5Screate(H5S_SCALAR), "H5Screate", name);
  Attribute a(H5Acreate2(object, name, file_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
              "H5Acreate", name);
  check(H5Awrite(a.get(), memory_type, value), "H5Awrite", name);
}

template <class T>
void write_attribute(hid_t object, const char* name, T value) {
  write_attribute(object, name, Scalar<T>::file(), Scalar<T>::memory(), &value);
}

/// A string attribute, stored as a variable-length UTF-8 string (what h5py writes for `str`).
inline void write_attribute(hid_t object, const char* name, const std::string& value) {
  Type type = string_type();
  const char* data = value.c_str();
  write_attribute(object, name, type.get(), type.get(), &data);
}

/// Opens an attribute that must hold a single value; nothing when it is absent.
inline std::optional<Attribute> open_scalar_attribute(hid_t object, const char* name) {
  if (!attribute_exists(object, name)) return std::nullopt;
  Attribute a(H5Aopen(object, name, H5P_DEFAULT), "H5Aopen", name);
  Space space(H5Aget_space(a.get()), "H5Aget_space", name);
  if (check(H5Sget_simple_extent_npoints(space.get()), "H5Sget_simple_extent_npoints", name) != 1)
    throw error(std::string("attribute ") + name + " holds more than one value");
  return a;
}

/// Reads a numeric attribute (any integer or float type; HDF5 converts); nothing when absent.
template <class T>
std::optional<T> read_attribute(hid_t object, const char* name) {
  auto a = open_scalar_attribute(object, name);
  if (!a) return std::nullopt;
  Type type(H5Aget_type(a->get()), "H5Aget_type", name);
  const H5T_class_t cls = H5Tget_class(type.get());
  if (cls != H5T_INTEGER && cls != H5T_FLOAT)
    throw error(std::string("attribute ") + name + " is not a number");
  T value{};
  check(H5Aread(a->get(), Scalar<T>::memory(), &value), "H5Aread", name);
  return value;
}

/// Reads a string attribute, variable-length or fixed-length; nothing when absent.
inline std::optional<std::string> read_string_attribute(hid_t object, const char* name) {
  auto a = open_scalar_attribute(object, name);
  if (!a) return std::nullopt;
  Type type(H5Aget_type(a->get()), "H5Aget_type", name);
  if (H5Tget_class(type.get()) != H5T_STRING)
    throw error(std::string("attribute ") + name + " is not a string");
  const H5T_cset_t cset = H5Tget_cset(type.get());  // HDF5 does not convert between char sets
  if (check(H5Tis_variable_str(type.get()), "H5Tis_variable_str", name) > 0) {
    Type memory = string_type(cset);
    char* data = nullptr;
    check(H5Aread(a->get(), memory.get(), &data), "H5Aread", name);
    std::string value = data ? data : "";
    Space scalar(H5Screate(H5S_SCALAR), "H5Screate", name);
    H5Dvlen_reclaim(memory.get(), scalar.get(), H5P_DEFAULT, &data);
    return value;
  }
  const std::size_t size = type_size(type.get(), name);
  Type memory(H5Tcopy(H5T_C_S1), "H5Tcopy", name);
  check(H5Tset_size(memory.get(), size + 1), "H5Tset_size", name);  // room for the NUL
  check(H5Tset_cset(memory.get(), cset), "H5Tset_cset", name);
  std::string value(size + 1, '\0');
  check(H5Aread(a->get(), memory.get(), value.data()), "H5Aread", name);
  value.resize(value.find('\0'));
  return value;
}

// --- tables: one-dimensional, extensible datasets of rows ------------------------------------

/// Creates an empty table that grows without bound, stored in chunks of `chunk_rows` rows
/// (shuffled and deflated when the library has zlib, so a short run's mostly empty chunk costs
/// little).
inline Dataset create_table(hid_t loc, const char* name, hid_t file_type, hsize_t chunk_rows) {
  const hsize_t empty = 0, unlimited = H5S_UNLIMITED;
  Space space(H5Screate_simple(1, &empty, &unlimited), "H5Screate_simple", name);
  Plist dcpl(H5Pcreate(H5P_DATASET_CREATE), "H5Pcreate", name);
  check(H5Pset_chunk(dcpl.get(), 1, &chunk_rows), "H5Pset_chunk", name);
  if (H5Zfilter_avail(H5Z_FILTER_DEFLATE) > 0) {
    check(H5Pset_shuffle(dcpl.get()), "H5Pset_shuffle", name);
    check(H5Pset_deflate(dcpl.get(), 1), "H5Pset_deflate", name);
  }
  return Dataset(
      H5Dcreate2(loc, name, file_type, space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      "H5Dcreate", name);
}

inline Dataset open_table(hid_t loc, const char* name) {
  return Dataset(H5Dopen2(loc, name, H5P_DEFAULT), "H5Dopen", name);
}

/// Rows in a table.
inline hsize_t table_rows(hid_t dataset, const char* name) {
  Space space(H5Dget_space(dataset), "H5Dget_space", name);
  if (check(H5Sget_simple_extent_ndims(space.get()), "H5Sget_simple_extent_ndims", name) != 1)
    throw error(std::string("dataset ") + name + " is not one-dimensional");
  hsize_t rows = 0;
  check(H5Sget_simple_extent_dims(space.get(), &rows, nullptr), "H5Sget_simple_extent_dims", name);
  return rows;
}

/// Appends `count` rows after the first `rows` (the caller keeps the count: one writer).
inline void append_rows(hid_t dataset, const char* name, hid_t memory_type, hsize_t rows,
                        hsize_t count, const void* data) {
  if (count == 0) return;
  const hsize_t total = rows + count;
  check(H5Dset_extent(dataset, &total), "H5Dset_extent", name);
  Space file_space(H5Dget_space(dataset), "H5Dget_space", name);
  check(H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, &rows, nullptr, &count, nullptr),
        "H5Sselect_hyperslab", name);
  Space memory_space(H5Screate_simple(1, &count, nullptr), "H5Screate_simple", name);
  check(H5Dwrite(dataset, memory_type, memory_space.get(), file_space.get(), H5P_DEFAULT, data),
        "H5Dwrite", name);
}

/// Reads a whole table in one H5Dread. Variable-length members (strings) are allocated by
/// HDF5; they are freed when the returned Rows is destroyed, so copy them out first.
template <class Row>
class Rows {
 public:
  Rows(hid_t dataset, const char* name, hid_t memory_type) : type_(memory_type) {
    const hsize_t n = table_rows(dataset, name);
    if (n == 0) return;
    rows_.resize(n);  // zeroed, so a partly failed read reclaims only what HDF5 allocated
    space_ = Space(H5Screate_simple(1, &n, nullptr), "H5Screate_simple", name);
    read_ = true;
    check(H5Dread(dataset, memory_type, space_.get(), H5S_ALL, H5P_DEFAULT, rows_.data()),
          "H5Dread", name);
  }
  ~Rows() {
    if (read_) {
      Quiet quiet;
      H5Dvlen_reclaim(type_, space_.get(), H5P_DEFAULT, rows_.data());
    }
  }
  Rows(const Rows&) = delete;
  Rows& operator=(const Rows&) = delete;

  const std::vector<Row>& get() const { return rows_; }

 private:
  hid_t type_;
  Space space_;
  std::vector<Row> rows_;
  bool read_ = false;
};

}  // namespace amorsize::detail::h5
