#include "train/splits.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <numeric>

#include "core/error.hpp"
#include "train/init.hpp"

namespace hp::train {

SplitBy parse_split_by(const std::string& name, const std::string& where)
{
    if (name.empty() || name == "frame") return SplitBy::frame;
    if (name == "user") return SplitBy::user;
    if (name == "recording") return SplitBy::recording;
    throw Error(where, "unknown split '" + name + "' (use frame, user or recording)");
}

std::string split_by_name(SplitBy by)
{
    return by == SplitBy::user ? "user" : by == SplitBy::recording ? "recording" : "frame";
}

static void check_fraction(double fraction)
{
    if (!(fraction > 0 && fraction < 1)) throw Error("validation_split", "must be between 0 and 1 (exclusive)");
}

Split random_split(size_t n, double fraction, uint32_t seed)
{
    check_fraction(fraction);
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    Rng rng(seed);
    shuffle(order.data(), n, rng);
    size_t n_val = std::min(n, size_t(std::ceil(fraction * double(n))));
    Split s;
    s.validation.assign(order.begin(), order.begin() + std::ptrdiff_t(n_val));
    s.train.assign(order.begin() + std::ptrdiff_t(n_val), order.end());
    std::sort(s.validation.begin(), s.validation.end());
    std::sort(s.train.begin(), s.train.end());
    return s;
}

// A seed for stream `stream` of epoch `epoch`: SplitMix64's finalizer over (seed, epoch, stream),
// so that neighbouring seeds and epochs give unrelated permutations.
static uint32_t epoch_seed(uint32_t seed, int epoch, uint32_t stream)
{
    uint64_t z = (uint64_t(seed) << 32) ^ (uint64_t(uint32_t(epoch)) << 1) ^ stream;
    z += 0x9E3779B97F4A7C15ull;
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return uint32_t((z ^ (z >> 31)) >> 32);
}

static std::vector<size_t> permutation(size_t n, uint32_t seed)
{
    std::vector<size_t> order(n);
    std::iota(order.begin(), order.end(), size_t(0));
    Rng rng(seed);
    shuffle(order.data(), n, rng);
    return order;
}

Split resplit_for_epoch(size_t n, double fraction, uint32_t seed, int epoch)
{
    check_fraction(fraction);
    const size_t n_train = size_t(std::floor((1 - fraction) * double(n)));
    if (n_train == 0 || n_train >= n)
        throw Error("validation_split", "leaves no frames on one side of " + std::to_string(n) + " frames");
    std::vector<size_t> a = permutation(n, epoch_seed(seed, epoch, 0)), b = permutation(n, epoch_seed(seed, epoch, 1));
    Split s;
    s.train.assign(a.begin(), a.begin() + std::ptrdiff_t(n_train));
    s.validation.assign(b.begin() + std::ptrdiff_t(n_train), b.end());
    std::sort(s.validation.begin(), s.validation.end());
    return s;
}

Split group_split(const std::vector<std::string>& groups, double fraction, uint32_t seed)
{
    check_fraction(fraction);
    std::map<std::string, std::vector<size_t>> members;
    for (size_t i = 0; i < groups.size(); i++) members[groups[i]].push_back(i);
    if (members.size() < 2)
        throw Error("split_by", "needs at least 2 groups to keep groups whole, found " + std::to_string(members.size()));
    std::vector<const std::vector<size_t>*> order;
    for (const auto& [name, frames] : members) order.push_back(&frames);
    Rng rng(seed);
    shuffle(order.data(), order.size(), rng);
    const double target = fraction * double(groups.size());
    Split s;
    size_t k = 0;
    for (; k + 1 < order.size(); k++) {
        // stop when the next group would take the validation size farther from the target
        double now = double(s.validation.size()), with = now + double(order[k]->size());
        if (k > 0 && std::fabs(with - target) >= std::fabs(now - target)) break;
        s.validation.insert(s.validation.end(), order[k]->begin(), order[k]->end());
    }
    for (; k < order.size(); k++) s.train.insert(s.train.end(), order[k]->begin(), order[k]->end());
    std::sort(s.validation.begin(), s.validation.end());
    std::sort(s.train.begin(), s.train.end());
    return s;
}

std::vector<std::string> frame_groups(const Dataset& data, SplitBy by)
{
    std::vector<std::string> groups(data.size());
    if (by == SplitBy::frame) return groups;
    for (size_t i = 0; i < data.size(); i++) groups[i] = by == SplitBy::user ? data.user(i) : data.recording(i);
    return groups;
}

Split split_dataset(const Dataset& data, double fraction, SplitBy by, uint32_t seed)
{
    if (by == SplitBy::frame) return random_split(data.size(), fraction, seed);
    return group_split(frame_groups(data, by), fraction, seed);
}

std::vector<Fold> leave_one_group_out(const std::vector<std::string>& groups)
{
    std::map<std::string, std::vector<size_t>> members;
    for (size_t i = 0; i < groups.size(); i++) members[groups[i]].push_back(i);
    if (members.size() < 2)
        throw Error("split_by", "cross-validation needs at least 2 groups, found " + std::to_string(members.size()));
    std::vector<Fold> folds;
    for (const auto& [name, frames] : members) {
        Fold f;
        f.group = name;
        f.held_out = frames;
        for (size_t i = 0; i < groups.size(); i++)
            if (groups[i] != name) f.train.push_back(i);
        folds.push_back(std::move(f));
    }
    return folds;
}

}  // namespace hp::train
