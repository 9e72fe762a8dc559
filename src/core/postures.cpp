#include "core/postures.hpp"

#include <algorithm>
#include <set>

#include "core/error.hpp"

namespace hp {

const std::vector<Posture>& known_postures()
{
    static const std::vector<Posture> postures = {
        {"None", 0},         {"FlatHand", 20},  {"Like", 21},      {"Ok", 22},
        {"Fxxk", 23},        {"Love", 24},      {"Dislike", 25},   {"DoubleLike", 26},
        {"BreakTime", 27},   {"CrossHands", 28}, {"Yeah", 29},     {"DoubleDisLike", 30},
        {"Praying", 31},     {"Fist", 32},      {"Call", 33},      {"FlatThumb", 34},
        {"One", 41},         {"Two", 42},       {"Three", 43},     {"Four", 44},
        {"Five", 45},        {"Two_bis", 52},   {"Three_bis", 53}, {"Pointing", 60},
        {"toLeft", 61},      {"toRight", 62},   {"toUp", 63},      {"toDown", 64},
    };
    return postures;
}

std::optional<int> posture_code(std::string_view name)
{
    for (const Posture& p : known_postures())
        if (p.name == name) return p.code;
    return std::nullopt;
}

std::optional<std::string_view> posture_name(int code)
{
    for (const Posture& p : known_postures())
        if (p.code == code) return p.name;
    return std::nullopt;
}

static std::string known_names()
{
    std::string names;
    for (const Posture& p : known_postures()) names += (names.empty() ? "" : ", ") + std::string(p.name);
    return names;
}

std::vector<std::string> output_order(const std::vector<std::string>& classes)
{
    std::set<std::string> seen;
    for (const std::string& c : classes) {
        if (!posture_code(c)) throw Error("class_names: unknown class '" + c + "' (known: " + known_names() + ")");
        if (!seen.insert(c).second) throw Error("class_names: class '" + c + "' is listed twice");
    }
    std::vector<std::string> sorted = classes;
    std::sort(sorted.begin(), sorted.end(),
              [](const std::string& a, const std::string& b) { return *posture_code(a) < *posture_code(b); });
    return sorted;
}

std::vector<std::string> st_default_classes()
{
    return output_order({"None", "Like", "Dislike", "FlatHand", "Fist", "Love", "BreakTime", "CrossHands"});
}

}  // namespace hp
