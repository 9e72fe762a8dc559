#include "usage.hpp"

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <functional>

namespace hp::cli {

namespace {

constexpr size_t kUsageWidth = 100;

std::vector<const CLI::App*> commands_of(const CLI::App& app)
{
    return app.get_subcommands(std::function<bool(const CLI::App*)>{});
}

bool is_group(const CLI::App& command) { return !commands_of(command).empty(); }

// "handposture dataset info"
std::string command_path(const CLI::App& command)
{
    const CLI::App* parent = command.get_parent();
    return parent ? command_path(*parent) + " " + command.get_name() : "handposture";
}

std::vector<std::string> command_names(const CLI::App& group)
{
    std::vector<std::string> names;
    for (const CLI::App* c : commands_of(group)) names.push_back(c->get_name());
    return names;
}

std::string joined(const std::vector<std::string>& words, const std::string& separator)
{
    std::string out;
    for (const std::string& w : words) out += (out.empty() ? "" : separator) + w;
    return out;
}

// "info|show|convert", or "COMMAND" when the choices take more than `room` columns (the usage
// lists them below anyway).
std::string command_choice(const CLI::App& group, size_t room)
{
    std::string choice = joined(command_names(group), "|");
    return choice.size() <= room ? choice : "COMMAND";
}

// Every name an option answers to: "--model", "-h", ...
std::vector<std::string> option_names(const CLI::App& command)
{
    std::vector<std::string> names;
    for (const CLI::Option* o : command.get_options()) {
        for (const std::string& l : o->get_lnames()) names.push_back("--" + l);
        for (const std::string& s : o->get_snames()) names.push_back("-" + s);
    }
    return names;
}

const CLI::Option* find_option(const CLI::App& command, const std::string& name)
{
    for (const CLI::Option* o : command.get_options()) {
        for (const std::string& l : o->get_lnames())
            if (name == "--" + l) return o;
        for (const std::string& s : o->get_snames())
            if (name == "-" + s) return o;
    }
    return nullptr;
}

const CLI::App* find_command(const CLI::App& group, const std::string& name)
{
    for (const CLI::App* c : commands_of(group))
        if (c->check_name(name)) return c;
    return nullptr;
}

bool takes_positionals(const CLI::App& command)
{
    for (const CLI::Option* o : command.get_options())
        if (!o->nonpositional()) return true;
    return false;
}

// "-x", "--name", "--name=value"; not "-" or a negative number (a value).
bool is_option_word(const std::string& word)
{
    if (word.size() < 2 || word[0] != '-') return false;
    char* end = nullptr;
    std::strtod(word.c_str(), &end);
    return *end != '\0';
}

std::string unknown(const std::string& what, const std::string& word, const std::vector<std::string>& valid)
{
    std::string line = "unknown " + what + " '" + word + "'";
    if (auto near = closest_word(word, valid)) line += "; did you mean '" + *near + "'?";
    return line;
}

struct Finding {
    const CLI::App* command;  // the deepest command the arguments name
    std::string problem;      // empty: every word is known
};

// Walks the arguments down the command tree as CLI11 reads them, for the first word that is
// not a command, an option or an option's value where it stands.
Finding find_unknown_word(const CLI::App& app, const std::vector<std::string>& args)
{
    const CLI::App* command = &app;
    bool only_values = false;  // after "--"
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& word = args[i];
        if (!only_values && word == "--") {
            only_values = true;
        } else if (!only_values && is_option_word(word)) {
            const size_t equals = word.find('=');
            const std::string name = word.substr(0, equals);
            const CLI::Option* option = find_option(*command, name);
            if (!option) return {command, unknown("option", name, option_names(*command))};
            // Its values: the words up to the next option, as many as it takes.
            int values = option->get_items_expected_max() - (equals == std::string::npos ? 0 : 1);
            for (; values > 0 && i + 1 < args.size() && !is_option_word(args[i + 1]); --values) ++i;
        } else if (is_group(*command)) {
            const CLI::App* sub = find_command(*command, word);
            if (!sub) return {command, unknown("command", word, command_names(*command))};
            command = sub;
        } else if (!takes_positionals(*command)) {
            return {command, "unexpected argument '" + word + "'"};
        }
    }
    return {command, ""};
}

// "--model MODEL", "[--json]", "[--classes CLASSES...]", "CONFIG" (a positional).
std::string usage_of(const CLI::Option& option)
{
    auto upper = [](std::string s) {
        for (char& c : s) c = c == '-' ? '_' : char(std::toupper(static_cast<unsigned char>(c)));
        return s;
    };
    std::string part;
    if (!option.nonpositional()) {
        part = upper(option.get_name(true));
    } else {
        const bool has_long = !option.get_lnames().empty();
        const std::string bare = has_long ? option.get_lnames()[0] : option.get_snames()[0];
        part = (has_long ? "--" : "-") + bare;
        const int values = option.get_items_expected_max();
        if (values > 0) part += " " + upper(bare) + (values > 1 ? "..." : "");
    }
    return option.get_required() ? part : "[" + part + "]";
}

}  // namespace

void document_exit_codes(CLI::App& app)
{
    app.footer("Exit status:\n"
               "  0  done\n"
               "  1  bad input: a file, or a value the command cannot use\n"
               "  2  usage error: unknown or missing command or option, options that do not go together");
    for (CLI::App* command : app.get_subcommands(std::function<bool(CLI::App*)>{})) document_exit_codes(*command);
}

size_t edit_distance(std::string_view a, std::string_view b)
{
    // Optimal string alignment: Levenshtein plus the swap of two neighbours ("modle" -> "model").
    std::vector<std::vector<size_t>> d(a.size() + 1, std::vector<size_t>(b.size() + 1));
    for (size_t i = 0; i <= a.size(); ++i) d[i][0] = i;
    for (size_t j = 0; j <= b.size(); ++j) d[0][j] = j;
    for (size_t i = 1; i <= a.size(); ++i)
        for (size_t j = 1; j <= b.size(); ++j) {
            const size_t substitution = a[i - 1] == b[j - 1] ? 0 : 1;
            d[i][j] = std::min({d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + substitution});
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
                d[i][j] = std::min(d[i][j], d[i - 2][j - 2] + 1);
        }
    return d[a.size()][b.size()];
}

std::optional<std::string> closest_word(std::string_view word, const std::vector<std::string>& candidates)
{
    // Near enough: a third of the word may be wrong (at least two edits), never all of it.
    const size_t allowed = std::max<size_t>(2, word.size() / 3);
    std::optional<std::string> best;
    size_t best_distance = 0;
    for (const std::string& c : candidates) {
        const size_t d = edit_distance(word, c);
        if (d <= allowed && d < word.size() && (!best || d < best_distance)) {
            best = c;
            best_distance = d;
        }
    }
    return best;
}

std::string usage_text(const CLI::App& command)
{
    const std::string lead = "usage: " + command_path(command);
    std::vector<std::string> parts;
    if (is_group(command)) parts.push_back(command_choice(command, kUsageWidth - lead.size() - 1));
    for (const CLI::Option* o : command.get_options())
        if (o != command.get_help_ptr()) parts.push_back(usage_of(*o));

    std::string text = lead, line = lead;
    for (const std::string& part : parts) {
        if (line.size() + 1 + part.size() > kUsageWidth && line.size() > lead.size()) {
            text += "\n" + std::string(lead.size(), ' ');
            line = std::string(lead.size(), ' ');
        }
        text += " " + part;
        line += " " + part;
    }
    text += "\n";
    for (const CLI::App* c : commands_of(command)) {
        std::string name = c->get_name();
        text += "  " + name + std::string(name.size() < 10 ? 10 - name.size() : 1, ' ') + c->get_description() + "\n";
    }
    return text + "(" + command_path(command) + " --help: every option explained)\n";
}

int report_usage_error(const CLI::App& app, const std::vector<std::string>& args, const std::string& refusal)
{
    Finding found = find_unknown_word(app, args);
    std::string problem = found.problem;
    const std::string where = command_path(*found.command);
    if (problem.empty() && is_group(*found.command)) {
        const std::string choice = command_choice(*found.command, kUsageWidth - where.size() - 19);
        problem = choice == "COMMAND" ? "missing command" : "missing command: " + choice;
    }
    if (problem.empty()) problem = refusal;
    std::fprintf(stderr, "%s: %s\n%s", where.c_str(), problem.c_str(),
                 usage_text(*found.command).c_str());
    return exit_usage;
}

}  // namespace hp::cli
