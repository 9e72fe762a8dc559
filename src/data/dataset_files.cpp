// Finding the datalogs of a dataset: <root>/<Class>/<log dir>/npz/*.npz in a folder or a zip.
#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <set>
#include <unistd.h>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "data/dataset.hpp"
#include "data/zip_reader.hpp"

namespace hp {

namespace fs = std::filesystem;

struct DatasetFiles::Zip {
    std::vector<unsigned char> bytes;
    std::unique_ptr<ZipReader> reader;
    std::mutex mutex;  // libzip archives are not thread-safe
};

namespace {

std::vector<std::string> split(const std::string& s, const std::string& separator)
{
    std::vector<std::string> parts;
    size_t begin = 0, end;
    while ((end = s.find(separator, begin)) != std::string::npos) {
        parts.push_back(s.substr(begin, end - begin));
        begin = end + separator.size();
    }
    parts.push_back(s.substr(begin));
    return parts;
}

bool ends_with(const std::string& s, const std::string& suffix)
{
    return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

// "Fist/log__Fist__User1__1__VL53L8__.../npz/x.npz" -> the file's description.
DatalogFile describe(const std::string& relative)
{
    std::vector<std::string> parts = split(relative, "/");
    DatalogFile file;
    file.path = relative;
    file.class_name = parts[0];
    file.recording = parts[1];
    std::vector<std::string> fields = split(file.recording, "__");
    file.user = fields.size() > 2 && !fields[2].empty() ? fields[2] : "unknown";
    return file;
}

std::string expected_layout() { return "expected <Class>/<log dir>/npz/*.npz"; }

}  // namespace

DatasetFiles::DatasetFiles(const fs::path& root, const std::vector<std::string>& classes, MissingClasses missing)
    : root_(root), class_names_(classes.empty() ? st_default_classes() : output_order(classes))
{
    // A class without datalogs: an error naming where it was looked for, or a note.
    auto class_missing = [&](const std::string& where, const std::string& name, const std::string& problem) {
        if (missing == MissingClasses::fail) throw Error(where, problem);
        missing_.push_back({name, problem});
    };
    std::error_code ec;
    fs::file_status status = fs::status(root, ec);
    if (!fs::exists(status)) throw Error(root, "no such file or folder (the dataset: a folder or ST's .zip)");
    std::vector<std::pair<std::string, size_t>> found;  // relative path, zip entry

    if (fs::is_directory(status)) {
        for (const std::string& name : class_names_) {
            fs::path class_dir = root / name;
            if (!fs::is_directory(class_dir)) {
                class_missing(class_dir.string(), name, "no folder for class '" + name + "'");
                continue;
            }
            size_t before = found.size();
            for (const fs::directory_entry& log : fs::directory_iterator(class_dir, ec)) {
                std::string log_name = log.path().filename().string();
                if (log_name.empty() || log_name[0] == '.' || !fs::is_directory(log.path() / "npz")) continue;
                for (const fs::directory_entry& npz : fs::directory_iterator(log.path() / "npz", ec)) {
                    std::string file_name = npz.path().filename().string();
                    if (file_name[0] != '.' && ends_with(file_name, ".npz") && npz.is_regular_file())
                        found.emplace_back(name + "/" + log_name + "/npz/" + file_name, 0);
                }
            }
            if (ec) throw Error(class_dir, "cannot list: " + ec.message());
            if (found.size() == before)
                class_missing(class_dir.string(), name, "class folder has no datalogs (" + expected_layout() + ")");
        }
    } else {
        zip_ = std::make_unique<Zip>();
        zip_->bytes = read_file_bytes(root);
        zip_->reader = std::make_unique<ZipReader>(zip_->bytes, root.string());
        // The dataset root inside the zip is what precedes <Class>/<log dir>/npz/<file>.npz.
        std::vector<std::string> names(zip_->reader->size());
        std::set<std::string> roots;
        for (size_t i = 0; i < names.size(); ++i) {
            names[i] = zip_->reader->entry_name(i);
            std::vector<std::string> parts = split(names[i], "/");
            if (names[i].rfind("__MACOSX/", 0) == 0 || parts.size() < 4 || parts[parts.size() - 2] != "npz" ||
                !ends_with(names[i], ".npz") || parts.back()[0] == '.')
                continue;
            std::string prefix;
            for (size_t k = 0; k + 4 < parts.size(); ++k) prefix += parts[k] + "/";
            roots.insert(prefix);
        }
        if (roots.empty()) throw Error(root, "no datalogs in the archive (" + expected_layout() + ")");
        if (roots.size() > 1) {
            std::string list;
            for (const std::string& r : roots) list += (list.empty() ? "" : ", ") + (r.empty() ? "/" : r);
            throw Error(root, "datalogs under several roots in the archive: " + list);
        }
        zip_prefix_ = *roots.begin();
        std::map<std::string, int> wanted;
        for (const std::string& name : class_names_) wanted[name] = 0;
        std::set<std::string> folders;
        for (size_t i = 0; i < names.size(); ++i) {
            if (names[i].rfind(zip_prefix_, 0) != 0) continue;
            std::string relative = names[i].substr(zip_prefix_.size());
            std::vector<std::string> parts = split(relative, "/");
            folders.insert(parts[0]);
            if (parts.size() != 4 || parts[2] != "npz" || !ends_with(relative, ".npz") || parts[3][0] == '.' ||
                parts[1].empty() || parts[1][0] == '.' || !wanted.count(parts[0]))
                continue;
            found.emplace_back(relative, i);
            wanted[parts[0]]++;
        }
        for (const std::string& name : class_names_) {
            std::string where = root.string() + ": " + zip_prefix_ + name;
            if (!folders.count(name)) class_missing(where, name, "no folder for class '" + name + "'");
            else if (wanted[name] == 0) class_missing(where, name, "class folder has no datalogs (" + expected_layout() + ")");
        }
    }

    // Class output order, then path order.
    std::map<std::string, size_t> rank;
    for (size_t i = 0; i < class_names_.size(); ++i) rank[class_names_[i]] = i;
    std::sort(found.begin(), found.end(), [&](const auto& a, const auto& b) {
        size_t ra = rank[split(a.first, "/")[0]], rb = rank[split(b.first, "/")[0]];
        return ra != rb ? ra < rb : a.first < b.first;
    });
    for (const auto& [relative, index] : found) {
        files_.push_back(describe(relative));
        zip_index_.push_back(index);
    }
}

DatasetFiles::~DatasetFiles() = default;

size_t DatasetFiles::find(const std::string& path) const
{
    std::vector<size_t> matches;
    for (size_t i = 0; i < files_.size(); ++i) {
        if (files_[i].path == path) return i;
        if (ends_with(files_[i].path, "/" + path)) matches.push_back(i);
    }
    if (matches.size() == 1) return matches[0];
    if (matches.empty()) throw Error(root_, "no datalog '" + path + "' among the configured classes");
    throw Error(root_, "'" + path + "' matches " + std::to_string(matches.size()) + " datalogs; give its path");
}

std::string DatasetFiles::display_name(size_t i) const
{
    if (zip_) return root_.string() + ": " + zip_prefix_ + files_[i].path;
    return (root_ / files_[i].path).string();
}

std::vector<unsigned char> DatasetFiles::read_bytes(size_t i) const
{
    if (!zip_) return read_file_bytes(root_ / files_[i].path);
    std::lock_guard<std::mutex> lock(zip_->mutex);
    return zip_->reader->read(zip_index_[i]);
}

Datalog DatasetFiles::read(size_t i) const
{
    return read_datalog(read_bytes(i), display_name(i));
}

std::vector<std::string> class_folders_present(const fs::path& root)
{
    std::vector<std::string> present;
    if (!fs::is_directory(root)) return present;
    for (const Posture& p : known_postures())
        if (fs::is_directory(root / std::string(p.name))) present.emplace_back(p.name);
    return present.empty() ? present : output_order(present);
}

fs::path default_dataset_path()
{
    const fs::path relative = "../shared/data/ST_VL53L8CX_handposture_dataset.zip";
    if (const char* env = std::getenv("HP_DATASET"); env && *env) return env;
    if (fs::exists(relative)) return relative;
    // Next to the repository the executable was built in (build dirs sit inside the repo).
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec)
        for (fs::path dir = exe.parent_path(); !dir.empty() && dir != dir.root_path(); dir = dir.parent_path())
            if (fs::exists(dir / relative)) return (dir / relative).lexically_normal();
    return relative;
}

}  // namespace hp
