#include "config/user_config.hpp"

#include <yaml-cpp/yaml.h>

#include <cmath>
#include <ctime>
#include <ostream>
#include <regex>
#include <set>

#include "core/atomic_file.hpp"
#include "core/error.hpp"
#include "core/postures.hpp"
#include "model/architectures.hpp"

namespace hp {

namespace {

// Keys we read (leaves) and the sections holding them. Sections not listed are walked for
// unknown keys; leaves listed in `ignored` are ST settings without meaning here.
const std::set<std::string> known_sections = {
    "general", "dataset", "preprocessing", "data_augmentation", "data_augmentation.random_flip", "training",
    "training.model", "deployment", "deployment.hardware_setup", "mlflow", "hydra", "hydra.run"};
const std::set<std::string> known_leaves = {
    "general.project_name", "general.model_path", "general.logs_dir", "general.saved_models_dir",
    "general.global_seed", "general.display_figures", "general.gpu_memory_limit", "operation_mode", "dataset.name",
    "dataset.class_names", "dataset.training_path", "dataset.validation_path", "dataset.validation_split",
    "dataset.test_path", "dataset.split_by", "dataset.resplit_each_epoch", "preprocessing.Max_distance", "preprocessing.Min_distance",
    "preprocessing.Background_distance", "preprocessing.distance_mode", "data_augmentation.random_flip.mode",
    "data_augmentation.distance_offset_mm", "data_augmentation.depth_scale", "data_augmentation.reflectance_gain",
    "data_augmentation.zone_shift", "data_augmentation.zone_dropout", "data_augmentation.distance_noise_mm",
    "data_augmentation.signal_noise", "training.model.conv_filters", "training.model.name",
    "training.model.version", "training.model.input_shape", "training.model.layers", "training.model.pretrained_weights", "training.dropout",
    "training.batch_size", "training.epochs", "training.optimizer", "training.callbacks",
    "training.trained_model_path", "training.resume_training_from", "deployment.c_project_path", "deployment.IDE",
    "deployment.verbosity", "deployment.hardware_setup.serie", "deployment.hardware_setup.board",
    "deployment.hardware_setup.stlink_serial_number", "mlflow.uri", "hydra.run.dir"};

class Reader {
public:
    Reader(const std::filesystem::path& file, std::ostream& warnings) : file_(file), warnings_(warnings) {}

    [[noreturn]] void fail(const std::string& key, const std::string& problem) const
    {
        throw Error(file_, key + ": " + problem);
    }
    void warn(const std::string& key, const std::string& problem) const
    {
        warnings_ << "warning: " << file_.string() << ": " << key << ": " << problem << "\n";
    }

    // The node at a dotted path, or an undefined/null node.
    YAML::Node at(const YAML::Node& root, const std::string& key) const
    {
        YAML::Node node = root;
        size_t start = 0;
        while (start <= key.size()) {
            size_t dot = key.find('.', start);
            std::string part = key.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
            if (!node.IsMap()) {
                if (node.IsDefined() && !node.IsNull()) fail(key, "expected a mapping above this key");
                return YAML::Node(YAML::NodeType::Undefined);
            }
            // const lookup (never inserts); reset() rebinds, where operator= would overwrite the node
            const YAML::Node child = static_cast<const YAML::Node&>(node)[part];
            if (!child.IsDefined()) return YAML::Node(YAML::NodeType::Undefined);
            node.reset(child);
            if (dot == std::string::npos) break;
            start = dot + 1;
        }
        return node;
    }

    static bool present(const YAML::Node& n) { return n.IsDefined() && !n.IsNull(); }

    template <typename T>
    bool get(const YAML::Node& root, const std::string& key, T& out, const char* type) const
    {
        YAML::Node n = at(root, key);
        if (!present(n)) return false;
        if (!n.IsScalar()) fail(key, std::string("expected ") + type);
        try {
            out = n.as<T>();
        } catch (const YAML::Exception&) {
            fail(key, std::string("expected ") + type + ", got '" + n.Scalar() + "'");
        }
        return true;
    }

    bool get_string(const YAML::Node& root, const std::string& key, std::string& out) const
    {
        return get(root, key, out, "a string");
    }
    bool get_int(const YAML::Node& root, const std::string& key, int& out, int min) const
    {
        long long v = 0;
        if (!get(root, key, v, "an integer")) return false;
        if (v < min || v > 1000000000) fail(key, "must be an integer >= " + std::to_string(min));
        out = int(v);
        return true;
    }
    bool get_double(const YAML::Node& root, const std::string& key, double& out) const
    {
        if (!get(root, key, out, "a number")) return false;
        if (!std::isfinite(out)) fail(key, "must be a finite number");
        return true;
    }
    bool get_path(const YAML::Node& root, const std::string& key, std::filesystem::path& out) const
    {
        std::string s;
        if (!get_string(root, key, s) || s.empty()) return false;
        std::filesystem::path p(s);
        out = p.is_absolute() ? p : file_.parent_path() / p;
        return true;
    }

    // Warns about every key under `node` (at dotted `prefix`) that is not known.
    void walk(const YAML::Node& node, const std::string& prefix) const
    {
        if (!node.IsMap()) return;
        for (const auto& item : node) {
            std::string name;
            try {
                name = item.first.as<std::string>();
            } catch (const YAML::Exception&) {
                fail(prefix.empty() ? "(top level)" : prefix, "keys must be strings");
            }
            std::string key = prefix.empty() ? name : prefix + "." + name;
            if (known_sections.count(key)) {
                if (present(item.second) && !item.second.IsMap()) fail(key, "expected a mapping");
                walk(item.second, key);
            } else if (!known_leaves.count(key)) {
                warn(key, "unknown key, ignored");
            }
        }
    }

private:
    std::filesystem::path file_;
    std::ostream& warnings_;
};

// "(8, 8, 2)", "[8, 8, 2]" or a yaml sequence.
void parse_input_shape(const Reader& r, const YAML::Node& node, UserConfig& c)
{
    const std::string key = "training.model.input_shape";
    std::vector<long long> dims;
    if (node.IsSequence()) {
        for (const auto& d : node) {
            try {
                dims.push_back(d.as<long long>());
            } catch (const YAML::Exception&) {
                r.fail(key, "expected (height, width, 2)");
            }
        }
    } else if (node.IsScalar()) {
        static const std::regex shape(R"(^\s*[\(\[]\s*(\d+)\s*,\s*(\d+)\s*,\s*(\d+)\s*[\)\]]\s*$)");
        std::smatch m;
        const std::string text = node.Scalar();
        if (!std::regex_match(text, m, shape)) r.fail(key, "expected (height, width, 2), got '" + text + "'");
        for (int i = 1; i <= 3; i++) dims.push_back(std::stoll(m[size_t(i)].str().substr(0, 9)));
    } else {
        r.fail(key, "expected (height, width, 2)");
    }
    if (dims.size() != 3) r.fail(key, "expected 3 dimensions (height, width, 2)");
    if (dims[2] != 2) r.fail(key, "the model takes 2 channels (distance, signal)");
    if (dims[0] != dims[1] || dims[0] < 1 || dims[0] > 8 || hp_grid_side(int(dims[0] * dims[1])) != dims[0])
        r.fail(key, "the sensors give 8x8 or 4x4 zones");
    c.input_height = int(dims[0]);
    c.input_width = int(dims[1]);
    c.input_channels = 2;
}

void parse_callbacks(const Reader& r, const YAML::Node& node, UserConfig& c)
{
    // Listing callbacks replaces the defaults: a callback not listed is off, as in ST's scripts.
    c.options.reduce_lr.reset();
    c.options.early_stopping.reset();
    if (!Reader::present(node)) return;
    if (!node.IsMap()) r.fail("training.callbacks", "expected a mapping of callback names");
    for (const auto& item : node) {
        std::string name = item.first.as<std::string>();
        std::string key = "training.callbacks." + name;
        const YAML::Node args = item.second;
        if (Reader::present(args) && !args.IsMap()) r.fail(key, "expected a mapping of arguments");
        auto check_args = [&](const std::set<std::string>& allowed) {
            if (!args.IsMap()) return;
            for (const auto& a : args)
                if (!allowed.count(a.first.as<std::string>()))
                    r.warn(key + "." + a.first.as<std::string>(), "unknown argument, ignored");
        };
        auto monitor = [&](std::string& m) {
            r.get_string(args, "monitor", m);
            try {
                train::monitor_is_maximized(m);
            } catch (const Error&) {
                r.fail(key + ".monitor", "unknown quantity '" + m + "' (use val_loss, val_accuracy, loss or accuracy)");
            }
        };
        auto get_mode = [&](const std::string& m) {
            std::string mode;
            if (!r.get_string(args, "mode", mode) || mode == "auto") return;
            if (mode != "min" && mode != "max") r.fail(key + ".mode", "expected auto, min or max");
            if ((mode == "max") != train::monitor_is_maximized(m))
                r.fail(key + ".mode", "'" + mode + "' contradicts monitor '" + m + "'");
        };
        if (name == "ReduceLROnPlateau") {
            train::ReduceLrSettings s;
            check_args({"monitor", "factor", "patience", "min_lr", "min_delta", "cooldown", "mode", "verbose"});
            monitor(s.monitor);
            get_mode(s.monitor);
            if (r.get_double(args, "factor", s.factor) && !(s.factor > 0 && s.factor < 1))
                r.fail(key + ".factor", "must be between 0 and 1");
            r.get_int(args, "patience", s.patience, 0);
            if (r.get_double(args, "min_lr", s.min_lr) && s.min_lr < 0) r.fail(key + ".min_lr", "must be >= 0");
            if (r.get_double(args, "min_delta", s.min_delta) && s.min_delta < 0) r.fail(key + ".min_delta", "must be >= 0");
            r.get_int(args, "cooldown", s.cooldown, 0);
            c.options.reduce_lr = s;
        } else if (name == "EarlyStopping") {
            train::EarlyStoppingSettings s;
            check_args({"monitor", "patience", "restore_best_weights", "min_delta", "mode", "verbose"});
            monitor(s.monitor);
            get_mode(s.monitor);
            r.get_int(args, "patience", s.patience, 0);
            if (r.get_double(args, "min_delta", s.min_delta) && s.min_delta < 0) r.fail(key + ".min_delta", "must be >= 0");
            r.get(args, "restore_best_weights", s.restore_best_weights, "true or false");
            c.options.early_stopping = s;
        } else {
            r.warn(key, "unknown callback, ignored (known: ReduceLROnPlateau, EarlyStopping)");
        }
    }
}

void parse_optimizer(const Reader& r, const YAML::Node& node, UserConfig& c)
{
    if (!Reader::present(node)) return;
    if (!node.IsMap() || node.size() != 1) r.fail("training.optimizer", "expected one optimizer, e.g. Adam: {learning_rate: 0.01}");
    std::string name = node.begin()->first.as<std::string>();
    if (name != "Adam") r.fail("training.optimizer", "unknown optimizer '" + name + "' (only Adam is supported)");
    const YAML::Node args = node.begin()->second;  // a copy: the iterator's pair is a temporary
    if (!Reader::present(args)) return;
    if (!args.IsMap()) r.fail("training.optimizer.Adam", "expected a mapping of arguments");
    for (const auto& a : args)
        if (a.first.as<std::string>() != "learning_rate")
            r.warn("training.optimizer.Adam." + a.first.as<std::string>(), "unknown argument, ignored");
    double lr = c.options.learning_rate;
    if (r.get_double(args, "learning_rate", lr) && !(lr > 0)) r.fail("training.optimizer.Adam.learning_rate", "must be positive");
    c.options.learning_rate = float(lr);
}

// One entry of training.model.layers: a Keras class name alone ("- Flatten") or with its options
// ("- Conv2D: {filters: 16, kernel_size: 3, padding: same, use_bias: false}", "- Dropout: 0.2").
Layer parse_layer(const Reader& r, const YAML::Node& entry, const std::string& key)
{
    std::string cls;
    YAML::Node args;
    if (entry.IsScalar()) {
        cls = entry.Scalar();
    } else if (entry.IsMap() && entry.size() == 1) {
        cls = entry.begin()->first.as<std::string>();
        args = entry.begin()->second;
    } else {
        r.fail(key, "expected a layer: a class name (Flatten) or one class name with its options (Dense: {units: 32})");
    }
    const std::string at = key + "." + cls;
    auto number = [&](const char* name, double fallback) {
        double v = fallback;
        if (args.IsMap() && !r.get_double(args, name, v)) v = fallback;
        return v;
    };
    auto integer = [&](const char* name, int fallback, int min) {
        int v = fallback;
        if (args.IsMap()) r.get_int(args, name, v, min);
        return v;
    };
    auto text = [&](const char* name, const std::string& fallback) {
        std::string v = fallback;
        if (args.IsMap()) r.get_string(args, name, v);
        return v;
    };
    auto flag = [&](const char* name, bool fallback) {
        bool v = fallback;
        if (args.IsMap()) r.get(args, name, v, "true or false");
        return v;
    };
    auto activation = [&]() {
        const std::string a = text("activation", "linear");
        if (a == "linear") return Activation::linear;
        if (a == "relu") return Activation::relu;
        r.fail(at + ".activation", "'" + a + "' unsupported in a hidden layer, only linear or relu");
    };
    auto known = [&](std::initializer_list<const char*> names) {
        if (!args.IsMap()) return;
        for (const auto& item : args) {
            const std::string name = item.first.as<std::string>();
            bool ok = false;
            for (const char* n : names) ok = ok || name == n;
            if (!ok) r.fail(at + "." + name, "unknown option of " + cls);
        }
    };
    if (Reader::present(args) && !args.IsMap() && cls != "Dropout") r.fail(at, "expected a mapping of options");
    Layer l;
    if (cls == "Conv2D") {
        known({"filters", "kernel_size", "padding", "use_bias", "activation"});
        l.kind = LayerKind::conv2d;
        l.units = integer("filters", 0, 1);
        l.kernel_size = integer("kernel_size", 3, 1);
        const std::string padding = text("padding", "valid");
        if (padding != "valid" && padding != "same") r.fail(at + ".padding", "'" + padding + "': valid or same");
        l.same_padding = padding == "same";
        l.use_bias = flag("use_bias", true);
        l.activation = activation();
        if (l.units < 1) r.fail(at + ".filters", "missing (a Conv2D needs its number of filters)");
    } else if (cls == "Dense") {
        known({"units", "use_bias", "activation"});
        l.kind = LayerKind::dense;
        l.units = integer("units", 0, 1);
        l.use_bias = flag("use_bias", true);
        l.activation = activation();
        if (l.units < 1) r.fail(at + ".units", "missing (a Dense needs its number of units)");
    } else if (cls == "BatchNormalization") {
        known({"epsilon", "momentum"});
        l.kind = LayerKind::batch_norm;
        l.epsilon = float(number("epsilon", 1e-3));
        l.momentum = float(number("momentum", 0.99));
    } else if (cls == "ReLU") {
        known({});
        l.kind = LayerKind::relu;
    } else if (cls == "MaxPooling2D") {
        known({});
        l.kind = LayerKind::max_pool;
    } else if (cls == "Flatten") {
        known({});
        l.kind = LayerKind::flatten;
    } else if (cls == "Dropout") {
        l.kind = LayerKind::dropout;
        double rate = 0;
        if (args.IsScalar()) {
            try {
                rate = args.as<double>();
            } catch (const YAML::Exception&) {
                r.fail(at, "expected a rate, got '" + args.Scalar() + "'");
            }
        } else {
            known({"rate"});
            rate = number("rate", -1);
        }
        if (!(rate >= 0 && rate < 1)) r.fail(at, "the rate must be in [0, 1)");
        l.rate = float(rate);
    } else {
        r.fail(key, "unknown layer '" + cls +
                        "' (Conv2D, BatchNormalization, ReLU, MaxPooling2D, Dropout, Flatten, Dense; the output "
                        "Dense follows the list by itself)");
    }
    return l;
}

// training.model.layers: the network without its output layer (added for the dataset's classes).
std::vector<Layer> parse_layers(const Reader& r, const YAML::Node& list)
{
    const std::string key = "training.model.layers";
    if (!list.IsSequence() || list.size() == 0) r.fail(key, "expected a list of layers");
    std::vector<Layer> layers;
    for (size_t i = 0; i < list.size(); i++) layers.push_back(parse_layer(r, list[i], key + "[" + std::to_string(i) + "]"));
    try {  // shapes, kernel sizes, ranges: what Model checks, said against the config
        with_output_layer({8, 8, 2}, layers, 8, key);
    } catch (const Error& e) {
        r.fail(key, e.what() + std::string(key).size() + 2);
    }
    return layers;
}

}  // namespace

std::string expand_now(const std::string& pattern)
{
    static const std::regex now(R"(\$\{now:([^}]*)\})");
    std::string out;
    std::smatch m;
    std::string rest = pattern;
    std::time_t t = std::time(nullptr);
    std::tm local{};
    localtime_r(&t, &local);
    while (std::regex_search(rest, m, now)) {
        char buffer[256];
        size_t n = std::strftime(buffer, sizeof buffer, m[1].str().c_str(), &local);
        out += m.prefix().str() + std::string(buffer, n);
        rest = m.suffix().str();
    }
    return out + rest;
}

static UserConfig parse_root(const YAML::Node& root, const std::filesystem::path& file, std::ostream& warnings);

// Our augmentations (train/augment.hpp), each off unless its key is given.
static void parse_augmentation(const Reader& r, const YAML::Node& root, train::Augmentation& a)
{
    auto amount = [&](const std::string& key, float& out, double below, const char* range) {
        double v;
        if (!r.get_double(root, "data_augmentation." + key, v)) return;
        if (!(v >= 0 && v < below)) r.fail("data_augmentation." + key, std::string("must be in ") + range);
        out = float(v);
    };
    amount("distance_offset_mm", a.distance_offset_mm, 1000, "[0, 1000) mm");
    amount("depth_scale", a.depth_scale, 1, "[0, 1)");
    amount("reflectance_gain", a.reflectance_gain, 1, "[0, 1)");
    amount("zone_dropout", a.zone_dropout, 1, "[0, 1)");
    amount("distance_noise_mm", a.distance_noise_mm, 1000, "[0, 1000) mm");
    amount("signal_noise", a.signal_noise, 1, "[0, 1)");
    r.get_int(root, "data_augmentation.zone_shift", a.zone_shift, 0);
}

UserConfig parse_user_config(const std::string& yaml, const std::filesystem::path& file, std::ostream& warnings)
{
    try {
        return parse_root(YAML::Load(yaml), file, warnings);
    } catch (const YAML::Exception& e) {
        throw Error(file, "not valid YAML: " + e.msg + " (line " + std::to_string(e.mark.line + 1) + ")");
    }
}

static UserConfig parse_root(const YAML::Node& root, const std::filesystem::path& file, std::ostream& warnings)
{
    if (!root.IsMap()) throw Error(file, "expected a mapping at the top level (general:, dataset:, training: ...)");
    Reader r(file, warnings);
    r.walk(root, "");
    UserConfig c;
    c.file = file;

    r.get_string(root, "general.project_name", c.project_name);
    r.get_path(root, "general.model_path", c.model_path);
    r.get_string(root, "general.logs_dir", c.logs_dir);
    r.get_string(root, "general.saved_models_dir", c.saved_models_dir);
    long long seed = c.global_seed;
    if (r.get(root, "general.global_seed", seed, "an integer") && (seed < 0 || seed > 4294967295LL))
        r.fail("general.global_seed", "must be an integer in [0, 2^32)");
    c.global_seed = uint32_t(seed);
    c.options.seed = c.global_seed;
    r.get(root, "general.display_figures", c.display_figures, "true or false");

    r.get_string(root, "operation_mode", c.operation_mode);
    static const std::set<std::string> modes = {"training", "evaluation", "deployment", "benchmarking"};
    if (!modes.count(c.operation_mode))
        r.fail("operation_mode", "unknown mode '" + c.operation_mode + "' (use training, evaluation, deployment or benchmarking)");

    r.get_string(root, "dataset.name", c.dataset_name);
    YAML::Node classes = r.at(root, "dataset.class_names");
    if (Reader::present(classes)) {
        if (!classes.IsSequence()) r.fail("dataset.class_names", "expected a list of class names");
        for (const auto& n : classes) {
            if (!n.IsScalar()) r.fail("dataset.class_names", "expected a list of class names");
            c.class_names.push_back(n.Scalar());
        }
        if (c.class_names.size() < 2) r.fail("dataset.class_names", "at least 2 classes are needed");
        try {
            output_order(c.class_names);
        } catch (const Error& e) {
            std::string what = e.what();
            const std::string prefix = "class_names: ";
            if (what.rfind(prefix, 0) == 0) what = what.substr(prefix.size());
            r.fail("dataset.class_names", what);
        }
    }
    r.get_path(root, "dataset.training_path", c.training_path);
    r.get_path(root, "dataset.validation_path", c.validation_path);
    r.get_path(root, "dataset.test_path", c.test_path);
    if (r.get_double(root, "dataset.validation_split", c.validation_split) &&
        !(c.validation_split > 0 && c.validation_split < 1))
        r.fail("dataset.validation_split", "must be between 0 and 1 (exclusive)");
    std::string split_by;
    if (r.get_string(root, "dataset.split_by", split_by)) {
        try {
            c.split_by = train::parse_split_by(split_by, "dataset.split_by");
        } catch (const Error&) {
            r.fail("dataset.split_by", "unknown split '" + split_by + "' (use frame, user or recording)");
        }
    }
    // ST's loader redraws the random split every epoch: only meaningful for a random split
    if (r.get(root, "dataset.resplit_each_epoch", c.resplit_each_epoch, "true or false") && c.resplit_each_epoch) {
        if (!c.validation_path.empty())
            r.fail("dataset.resplit_each_epoch", "needs a random validation_split, not dataset.validation_path");
        if (c.split_by != train::SplitBy::frame)
            r.fail("dataset.resplit_each_epoch",
                   "needs a random validation_split of frames, not dataset.split_by " + train::split_by_name(c.split_by));
    }

    double v;
    if (r.get_double(root, "preprocessing.Max_distance", v)) c.preprocess.max_distance = float(v);
    if (r.get_double(root, "preprocessing.Min_distance", v)) c.preprocess.min_distance = float(v);
    if (r.get_double(root, "preprocessing.Background_distance", v)) c.preprocess.background_distance = float(v);
    if (c.preprocess.min_distance < 0) r.fail("preprocessing.Min_distance", "must be >= 0");
    if (!(c.preprocess.max_distance > c.preprocess.min_distance))
        r.fail("preprocessing.Max_distance", "must be greater than Min_distance");
    if (c.preprocess.background_distance < 0) r.fail("preprocessing.Background_distance", "must be >= 0");
    std::string distance_mode;  // ours; ST's configs have absolute distances
    if (r.get_string(root, "preprocessing.distance_mode", distance_mode)) {
        try {
            c.preprocess.distance_mode = parse_distance_mode(distance_mode, "preprocessing.distance_mode");
        } catch (const Error&) {
            r.fail("preprocessing.distance_mode", "unknown mode '" + distance_mode + "' (use absolute or relative)");
        }
    }
    parse_augmentation(r, root, c.options.augment);

    // Without a data_augmentation section there is no augmentation, as in ST's scripts.
    c.options.flip = train::Flip::none;
    std::string flip;
    if (r.get_string(root, "data_augmentation.random_flip.mode", flip)) {
        try {
            c.options.flip = train::parse_flip(flip, "data_augmentation.random_flip.mode");
        } catch (const Error&) {
            r.fail("data_augmentation.random_flip.mode",
                   "unknown mode '" + flip + "' (use horizontal, vertical or horizontal_and_vertical)");
        }
    }

    double dropout = c.options.dropout;
    if (r.get_double(root, "training.dropout", dropout) && !(dropout >= 0 && dropout < 1))
        r.fail("training.dropout", "must be in [0, 1)");
    c.options.dropout = float(dropout);
    YAML::Node layers = r.at(root, "training.model.layers");
    const bool named = r.get_string(root, "training.model.name", c.model_name);
    if (Reader::present(layers)) {
        if (named && c.model_name != "custom")
            r.fail("training.model.name", "'" + c.model_name + "' with a layers list: name the model custom, or drop one");
        c.model_name = "custom";
        c.options.hidden_layers = parse_layers(r, layers);
    } else if (c.model_name == "custom") {
        c.options.hidden_layers = st_custom_hidden_layers(c.options.dropout);  // ST's custom_model.py
    } else if (c.model_name != "CNN2D_ST_HandPosture") {
        r.fail("training.model.name",
               "unknown model '" + c.model_name + "' (CNN2D_ST_HandPosture, custom, or a training.model.layers list)");
    }
    r.get_int(root, "training.model.conv_filters", c.options.conv_filters, 1);
    YAML::Node shape = r.at(root, "training.model.input_shape");
    if (Reader::present(shape)) parse_input_shape(r, shape, c);
    r.get_int(root, "training.batch_size", c.options.batch_size, 1);
    r.get_int(root, "training.epochs", c.options.epochs, 1);
    parse_optimizer(r, r.at(root, "training.optimizer"), c);
    YAML::Node callbacks = r.at(root, "training.callbacks");
    if (callbacks.IsDefined()) parse_callbacks(r, callbacks, c);
    r.get_path(root, "training.trained_model_path", c.trained_model_path);

    std::string dir;
    if (r.get_string(root, "hydra.run.dir", dir)) c.output_dir = expand_now(dir);
    r.get_string(root, "deployment.hardware_setup.serie", c.serie);
    r.get_string(root, "deployment.hardware_setup.board", c.board);
    return c;
}

void check_config_paths(const UserConfig& c)
{
    auto require = [&](const std::filesystem::path& p, const std::string& key) {
        if (p.empty()) throw Error(c.file, key + ": missing (the " + c.operation_mode + " mode needs it)");
        if (!std::filesystem::exists(p)) throw Error(c.file, key + ": no such file or folder: " + p.string());
    };
    auto optional = [&](const std::filesystem::path& p, const std::string& key) {
        if (!p.empty() && !std::filesystem::exists(p)) throw Error(c.file, key + ": no such file or folder: " + p.string());
    };
    if (c.operation_mode == "training") {
        require(c.training_path, "dataset.training_path");
        optional(c.validation_path, "dataset.validation_path");
        optional(c.test_path, "dataset.test_path");
    } else if (c.operation_mode == "evaluation") {
        if (c.model_path.empty() && c.trained_model_path.empty())
            throw Error(c.file, "general.model_path: missing (the evaluation mode needs a model)");
        optional(c.model_path, "general.model_path");
        optional(c.trained_model_path, "training.trained_model_path");
        if (c.test_path.empty() && c.validation_path.empty() && c.training_path.empty())
            throw Error(c.file, "dataset.test_path: missing (the evaluation mode needs data)");
        optional(c.test_path, "dataset.test_path");
        optional(c.validation_path, "dataset.validation_path");
        optional(c.training_path, "dataset.training_path");
    }
}

UserConfig load_user_config(const std::filesystem::path& file, std::ostream& warnings)
{
    std::vector<unsigned char> bytes = read_file_bytes(file);
    UserConfig c = parse_user_config(std::string(bytes.begin(), bytes.end()), file, warnings);
    check_config_paths(c);
    return c;
}

}  // namespace hp
