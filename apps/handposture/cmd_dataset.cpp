// `handposture dataset info|show|convert`: what a dataset holds, one frame as heat maps, and
// rewriting a dataset with our datalog writer (optionally as 4x4 zones).
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <iostream>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "commands.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "data/dataset.hpp"
#include "report/plot.hpp"

namespace hp::cli {

namespace {

namespace fs = std::filesystem;

fs::path data_path(const std::string& data) { return data.empty() ? default_dataset_path() : fs::path(data); }

std::string pad(const std::string& s, size_t width, bool left = false)
{
    if (s.size() >= width) return s;
    return left ? std::string(width - s.size(), ' ') + s : s + std::string(width - s.size(), ' ');
}

// The classes asked for, else those a dataset folder has (a recording of one posture is a
// dataset too), else (a zip) ST's 8.
std::vector<std::string> classes_to_read(const fs::path& root, const std::vector<std::string>& given)
{
    if (!given.empty()) return given;
    std::vector<std::string> present = class_folders_present(root);
    if (present.empty() && fs::is_directory(root))
        throw Error(root, "no class folder (expected <Class>/<log dir>/npz/*.npz, <Class> a posture such as Like)");
    return present;
}

void info(const std::string& data, const std::vector<std::string>& classes, bool json, bool list_recordings)
{
    fs::path root = data_path(data);
    DatasetOptions options;
    options.classes = classes_to_read(root, classes);
    options.missing_classes = MissingClasses::report;  // described, not refused
    Dataset d = load_dataset(root, options);

    std::set<std::string> users;
    std::map<std::string, std::map<std::string, long>> per_class_user;
    for (const DatalogFile& f : d.files) users.insert(f.user);
    for (size_t i = 0; i < d.size(); ++i) per_class_user[d.class_names[size_t(d.labels[i])]][d.user(i)]++;
    struct Recording {
        std::string class_name, user;
        int files = 0;
        long read = 0, kept = 0;
    };
    std::vector<std::pair<std::string, Recording>> recordings;  // class/recording, in file order
    std::map<std::string, size_t> recording_index;
    long frames_read = 0;
    for (const DatalogFile& f : d.files) {
        std::string key = f.class_name + "/" + f.recording;
        if (!recording_index.count(key)) {
            recording_index[key] = recordings.size();
            recordings.push_back({key, {}});
        }
        Recording& r = recordings[recording_index[key]].second;
        r.class_name = f.class_name;
        r.user = f.user;
        r.files++;
        r.read += f.frames_read;
        r.kept += f.frames_kept;
        frames_read += f.frames_read;
    }

    if (json) {
        nlohmann::ordered_json j;
        j["path"] = root.string();
        j["zones"] = d.height * d.width;
        j["height"] = d.height;
        j["width"] = d.width;
        j["classes"] = d.class_names;
        j["missing_classes"] = nlohmann::ordered_json::object();
        for (const MissingClass& m : d.missing_classes) j["missing_classes"][m.name] = m.problem;
        j["files"] = d.files.size();
        j["recordings"] = recordings.size();
        j["users"] = users;
        j["frames_read"] = frames_read;
        j["frames_kept"] = d.size();
        j["dropped"] = {{"nan_fields", d.dropped.nan_fields},
                        {"out_of_range", d.dropped.out_of_range},
                        {"other_class", d.dropped.other_class}};
        std::map<std::string, long> user_total;
        for (const std::string& c : d.class_names) {
            long total = 0;
            for (const std::string& u : users) {
                long n = per_class_user[c][u];
                j["per_class_user"][c][u] = n;
                user_total[u] += n;
                total += n;
            }
            j["per_class"][c] = total;
        }
        for (const std::string& u : users) j["per_user"][u] = user_total[u];
        for (const auto& [key, r] : recordings)
            j["per_recording"].push_back({{"recording", key.substr(r.class_name.size() + 1)},
                                          {"class", r.class_name},
                                          {"user", r.user},
                                          {"files", r.files},
                                          {"frames_read", r.read},
                                          {"frames_kept", r.kept}});
        std::cout << j.dump(2) << "\n";
        return;
    }

    std::printf("dataset:     %s\n", root.string().c_str());
    std::printf("zone layout: %dx%d (%d zones)\n", d.height, d.width, d.height * d.width);
    std::printf("classes:     ");
    for (size_t i = 0; i < d.class_names.size(); ++i) std::printf("%s%zu %s", i ? ", " : "", i, d.class_names[i].c_str());
    std::printf("  (output index, name)\n");
    for (const MissingClass& m : d.missing_classes) std::printf("missing:     %s: %s\n", m.name.c_str(), m.problem.c_str());
    std::printf("files:       %zu in %zu recordings, %zu users\n", d.files.size(), recordings.size(), users.size());
    std::printf("frames:      %ld read, %zu kept, %ld dropped (%ld NaN or missing field, %ld out of range, "
                "%ld of another class)\n\n",
                frames_read, d.size(), d.dropped.total(), d.dropped.nan_fields, d.dropped.out_of_range,
                d.dropped.other_class);

    std::printf("kept frames per class and user\n%s", pad("class", 12).c_str());
    for (const std::string& u : users) std::printf("%s", pad(u, 9, true).c_str());
    std::printf("%s\n", pad("total", 9, true).c_str());
    std::map<std::string, long> user_total;
    for (const std::string& c : d.class_names) {
        long total = 0;
        std::printf("%s", pad(c, 12).c_str());
        for (const std::string& u : users) {
            long n = per_class_user[c][u];
            user_total[u] += n;
            total += n;
            std::printf("%9ld", n);
        }
        std::printf("%9ld\n", total);
    }
    std::printf("%s", pad("total", 12).c_str());
    for (const std::string& u : users) std::printf("%9ld", user_total[u]);
    std::printf("%9zu\n", d.size());
    if (!list_recordings) {
        std::printf("\n(--recordings lists the frames of each of the %zu recordings)\n", recordings.size());
        return;
    }
    std::printf("\nframes per recording\n");
    std::printf("%s %s %s %s  %s\n", pad("class", 11).c_str(), pad("user", 8).c_str(), pad("files", 5, true).c_str(),
                pad("read/kept", 11, true).c_str(), "recording");
    for (const auto& [key, r] : recordings) {
        std::string counts = std::to_string(r.read) + "/" + std::to_string(r.kept);
        std::printf("%s %s %5d %s  %s\n", pad(r.class_name, 11).c_str(), pad(r.user, 8).c_str(), r.files,
                    pad(counts, 11, true).c_str(), key.substr(r.class_name.size() + 1).c_str());
    }
}

void show(const std::string& data, const std::vector<std::string>& all, const std::string& file, int frame,
          const std::string& png)
{
    fs::path root = data_path(data);
    DatasetFiles files(root, classes_to_read(root, all));
    size_t index = files.find(file);
    Datalog log = files.read(index);
    if (frame < 0 || frame >= log.frames)
        throw Error(files.display_name(index), "no frame " + std::to_string(frame) + " (the file has " +
                                                   std::to_string(log.frames) + ")");
    const int side = log.side();
    const size_t at = size_t(frame) * size_t(log.zones);
    Grid distance{"distance (mm)", side, side, {}}, signal{"signal (kcps/SPAD)", side, side, {}},
        status{"target_status", side, side, {}};
    status.categorical = true;
    int valid_zones = 0;
    for (int z = 0; z < log.zones; ++z) {
        size_t i = at + size_t(z);
        bool valid = hp_zone_status_valid(log.target_status[i]) && !(log.nb_targets[i] <= 0.0f);
        valid_zones += valid;
        distance.values.push_back(valid ? log.distance_mm[i] : NAN);
        signal.values.push_back(valid ? log.signal_per_spad[i] : NAN);
        status.values.push_back(log.target_status[i]);
    }
    // Colors span this frame's valid zones, nearest to farthest and weakest to strongest.
    fit_scale_to_values(distance);
    fit_scale_to_values(signal);

    std::vector<float> tensor(size_t(log.zones) * 2);
    hp_preprocess_config config = HP_PREPROCESS_DEFAULTS;
    const float* nb = log.has_nb_targets() ? log.nb_targets.data() + at : nullptr;
    int kept = hp_preprocess_frame(&config, log.zones, log.distance_mm.data() + at, log.signal_per_spad.data() + at,
                                   log.target_status.data() + at, nb, tensor.data());
    float code = log.posture_code[size_t(frame)];
    std::string label = std::isnan(code) ? "missing" : std::to_string(int(code));
    if (!std::isnan(code))
        if (auto name = posture_name(int(code))) label += " (" + std::string(*name) + ")";
    std::printf("%s\nframe %d of %d, %dx%d zones, posture %s, %d valid zones; preprocessing: %s\n",
                files.files()[index].path.c_str(), frame, log.frames, side, side, label.c_str(), valid_zones,
                log.frame_has_nan(frame) ? "dropped (NaN field)"
                : kept == HP_FRAME_KEPT  ? "kept"
                                         : "dropped (nearest target out of range)");
    std::printf("invalid zones (status not 5 or 9, or no target) are shown as '-'; colors span this frame's valid zones\n\n");
    std::vector<Grid> grids = {distance, signal, status};
    const bool color = isatty(STDOUT_FILENO) != 0;
    std::cout << render_grids_ansi(grids, color) << "\n" << render_legends_ansi(grids, color);
    if (!png.empty()) {
        write_grids_png(png, grids);
        std::printf("wrote %s\n", png.c_str());
    }
}

void convert(const std::string& data, const std::vector<std::string>& classes, const std::string& out, bool to_4x4)
{
    DatasetFiles files(data_path(data), classes);
    long frames = 0;
    for (size_t i = 0; i < files.files().size(); ++i) {
        Datalog log = files.read(i);
        if (to_4x4) log = downsample_to_4x4(log);
        write_datalog_file(fs::path(out) / files.files()[i].path, log);
        frames += log.frames;
    }
    std::printf("wrote %zu datalogs (%ld frames%s) to %s\n", files.files().size(), frames, to_4x4 ? ", 4x4 zones" : "",
                out.c_str());
}

}  // namespace

void add_dataset_commands(CLI::App& app)
{
    CLI::App* dataset = app.add_subcommand("dataset", "Inspect and convert ST datalog datasets");
    dataset->require_subcommand(1);
    const std::string data_help =
        "Dataset folder (<Class>/<log dir>/npz/*.npz) or ST's .zip (default: $HP_DATASET, else "
        "../shared/data/ST_VL53L8CX_handposture_dataset.zip from the current folder or the repository)";

    struct Args {
        std::string data, file, png, out;
        std::vector<std::string> classes;
        int frame = 0;
        bool json = false, to_4x4 = false, recordings = false;
    };
    auto args = std::make_shared<Args>();

    CLI::App* info_cmd = dataset->add_subcommand("info", "Frames per class and user (and per recording), dropped frames");
    info_cmd->add_option("--data", args->data, data_help);
    info_cmd->add_option("--classes", args->classes,
                         "Classes to describe (default: a folder's class folders, ST's 8 in a zip); one without "
                         "datalogs is listed as missing")
        ->delimiter(',');
    info_cmd->add_flag("--json", args->json, "Print one JSON object (with every recording)");
    info_cmd->add_flag("--recordings", args->recordings, "Also list the frames read and kept per recording");
    info_cmd->callback([args] { info(args->data, args->classes, args->json, args->recordings); });

    CLI::App* show_cmd = dataset->add_subcommand("show", "One frame's distance, signal and status as heat maps");
    show_cmd->add_option("--data", args->data, data_help);
    show_cmd->add_option("--classes", args->classes, "Class folders to look in (default: all of a folder's, ST's 8 in a zip)")
        ->delimiter(',');
    show_cmd->add_option("--file", args->file, "Datalog path relative to the dataset root, or its file name")->required();
    show_cmd->add_option("--frame", args->frame, "Frame index inside the datalog")->required();
    show_cmd->add_option("--png", args->png, "Also write the heat maps to this PNG");
    show_cmd->callback([args] { show(args->data, args->classes, args->file, args->frame, args->png); });

    CLI::App* convert_cmd = dataset->add_subcommand("convert", "Rewrite a dataset with our datalog writer");
    convert_cmd->add_option("--data", args->data, data_help);
    convert_cmd->add_option("--classes", args->classes, "Classes to keep (default: ST's 8)")->delimiter(',');
    convert_cmd->add_option("--out", args->out, "Output dataset folder")->required();
    convert_cmd->add_flag("--zones-4x4", args->to_4x4, "Downsample 8x8 datalogs to 4x4 (2x2 blocks averaged)");
    convert_cmd->callback([args] { convert(args->data, args->classes, args->out, args->to_4x4); });
}

}  // namespace hp::cli
