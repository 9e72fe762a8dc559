// Splitting frames into training and validation sets: random frames (ST's validation_split), or
// whole groups (user or recording) so that no group has frames on both sides; and the folds of
// leave-one-group-out cross-validation.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "data/dataset.hpp"

namespace hp::train {

enum class SplitBy { frame, user, recording };
// "frame" (or empty), "user", "recording"; throws hp::Error naming `where` otherwise.
SplitBy parse_split_by(const std::string& name, const std::string& where);
std::string split_by_name(SplitBy by);

struct Split {
    std::vector<size_t> train, validation;  // frame indices, ascending (but see resplit_for_epoch)
};

// ceil(fraction * n) random frames (seeded) go to validation, the rest to training.
Split random_split(size_t n, double fraction, uint32_t seed);

// Whole groups go to validation, in a seeded random order, while each one brings its size closer
// to fraction * n frames; at least one group stays on each side (hp::Error if fewer than 2 groups).
Split group_split(const std::vector<std::string>& groups, double fraction, uint32_t seed);

// The group of every frame of `data` (empty strings for SplitBy::frame).
std::vector<std::string> frame_groups(const Dataset& data, SplitBy by);

// ST's loader (model zoo hand_posture data_loader.py: shuffle(reshuffle_each_iteration=True),
// then take / skip of the first int((1 - fraction) * n)): take and skip iterate the shuffle
// separately, so each epoch draws two permutations. The split of epoch `epoch` (0-based):
// train = the first floor((1 - fraction) * n) frames of permutation A, in that order (the order
// they are fed in); validation = the frames after that position in an independent permutation B,
// ascending. Both depend only on (seed, epoch). The sides overlap, so validation frames are also
// training frames: a validation accuracy on them is not a held-out figure.
Split resplit_for_epoch(size_t n, double fraction, uint32_t seed, int epoch);

// validation_split of `data`: random_split for SplitBy::frame, group_split otherwise.
Split split_dataset(const Dataset& data, double fraction, SplitBy by, uint32_t seed);

struct Fold {
    std::string group;                   // the held-out group
    std::vector<size_t> train, held_out; // frame indices, ascending
};

// One fold per distinct group (sorted by name): that group's frames held out, the rest to train.
std::vector<Fold> leave_one_group_out(const std::vector<std::string>& groups);

}  // namespace hp::train
