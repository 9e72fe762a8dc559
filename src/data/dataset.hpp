// A preprocessed dataset: every kept frame of an ST datalog tree (or of ST's .zip), as network
// input tensors with labels in the model's output order.
#pragma once

#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "data/datalog.hpp"
#include "hp_preprocess.h"

namespace hp {

struct DatalogFile {
    std::string path;       // relative to the dataset root, e.g. "Fist/log__Fist__User1__1__.../npz/x.npz"
    std::string class_name; // the class folder
    std::string user;       // third "__" part of the log folder name, e.g. "User1"
    std::string recording;  // the log folder name
    int frames_read = 0, frames_kept = 0;
};

struct DropCounts {
    long nan_fields = 0;    // a needed field was NaN or missing
    long out_of_range = 0;  // nearest valid target outside [Min_distance, Max_distance]
    long other_class = 0;   // .GestureGT not among the configured classes
    long total() const { return nan_fields + out_of_range + other_class; }
};

// What a dataset with a configured class that has no datalogs is: an error (training, evaluation),
// or a dataset that lists the class as missing (describing a folder as it is).
enum class MissingClasses { fail, report };

struct MissingClass {
    std::string name;
    std::string problem;  // "no folder" or "folder has no datalogs"
};

struct DatasetOptions {
    std::vector<std::string> classes;  // empty: ST's 8 default classes
    MissingClasses missing_classes = MissingClasses::fail;
    hp_preprocess_config preprocess = HP_PREPROCESS_DEFAULTS;
    int threads = 0;                   // files are read in parallel; 0: one thread per core
};

struct Dataset {
    int height = 8, width = 8;
    std::vector<std::string> class_names;  // output order
    std::vector<float> inputs;             // [n][H][W][2] normalized
    std::vector<int> labels;               // [n] output index
    std::vector<int> file_index;           // [n] index into files
    std::vector<int> frame_index;          // [n] frame index inside its npz
    // [n][4][H*W]: the kept frames as measured (distance, signal, target status, number of
    // targets, NaN when unknown), for augmentations that act before preprocessing.
    std::vector<float> raw;
    hp_preprocess_config preprocess = HP_PREPROCESS_DEFAULTS;  // what made `inputs` from `raw`
    std::vector<DatalogFile> files;
    std::vector<MissingClass> missing_classes;  // configured classes without datalogs (MissingClasses::report)
    DropCounts dropped;

    size_t size() const { return labels.size(); }
    size_t input_size() const { return size_t(height) * width * 2; }
    const float* input(size_t i) const { return inputs.data() + i * input_size(); }
    size_t raw_size() const { return size_t(height) * width * 4; }
    const float* raw_frame(size_t i) const { return raw.data() + i * raw_size(); }
    const std::string& user(size_t i) const { return files[size_t(file_index[i])].user; }
    const std::string& recording(size_t i) const { return files[size_t(file_index[i])].recording; }
    // The frames at `indices`, in that order (files and drop counts are kept whole).
    Dataset subset(const std::vector<size_t>& indices) const;
    // Adds `other`'s frames after these, its files after these files. Throws hp::Error unless both
    // have the same frame size, classes, distance mode and raw frames kept or not.
    void append(const Dataset& other);
};

// Loads `root` — a dataset folder (<Class>/<log dir>/npz/*.npz) or ST's .zip of one — keeping
// the configured classes. Throws hp::Error naming the file and the problem.
Dataset load_dataset(const std::filesystem::path& root, const DatasetOptions& options);

// The datalog files of a dataset folder or zip (configured classes only, sorted by class in
// output order, then by path), for reading them one by one in their raw form.
class DatasetFiles {
public:
    // classes: empty = ST's 8 default classes. Throws hp::Error for a missing root, an unknown
    // class, and (MissingClasses::fail) a missing or empty class folder.
    DatasetFiles(const std::filesystem::path& root, const std::vector<std::string>& classes,
                 MissingClasses missing = MissingClasses::fail);
    ~DatasetFiles();
    DatasetFiles(const DatasetFiles&) = delete;
    DatasetFiles& operator=(const DatasetFiles&) = delete;

    const std::filesystem::path& root() const { return root_; }
    const std::vector<std::string>& class_names() const { return class_names_; }  // output order
    const std::vector<DatalogFile>& files() const { return files_; }  // frame counts are 0
    const std::vector<MissingClass>& missing_classes() const { return missing_; }  // in output order
    // Index of a file given by its relative path, or by a unique suffix of it (e.g. the file
    // name); throws hp::Error if none or several match.
    size_t find(const std::string& path) const;
    // The npz bytes / the datalog of files()[i]. Safe to call from several threads.
    std::vector<unsigned char> read_bytes(size_t i) const;
    Datalog read(size_t i) const;
    // Name of files()[i] for messages: "<root>/<path>" or "<zip>:<path in zip>".
    std::string display_name(size_t i) const;

private:
    struct Zip;
    std::filesystem::path root_;
    std::vector<std::string> class_names_;
    std::vector<DatalogFile> files_;
    std::vector<MissingClass> missing_;
    std::vector<size_t> zip_index_;  // entry of each file in the zip
    std::string zip_prefix_;         // the dataset root inside the zip, "" or ending with '/'
    std::unique_ptr<Zip> zip_;       // null for a folder
};

// The posture classes that have a folder in a dataset folder, in output order (none for a zip).
std::vector<std::string> class_folders_present(const std::filesystem::path& root);

// Where the README says the public dataset is looked for when --data is not given.
std::filesystem::path default_dataset_path();

}  // namespace hp
