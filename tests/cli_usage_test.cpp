// Usage errors of the CLI: one line naming the problem (and the nearest valid word), then the
// command's usage, exit code 2; bad input is exit code 1; --help documents both.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "test_support.hpp"

namespace {

using hp::test::lines_of;

// Runs the CLI, expects a usage error: exit 2, `first_line`, then the usage of `command`.
void expect_usage_error(const std::string& args, const std::string& first_line, const std::string& command)
{
    hp::test::CommandResult r = hp::test::run_cli(args);
    EXPECT_EQ(r.exit_code, 2) << args << "\n" << r.output;
    std::vector<std::string> lines = lines_of(r.output);
    ASSERT_GE(lines.size(), 2u) << args << "\n" << r.output;
    EXPECT_EQ(lines[0], first_line) << args;
    EXPECT_EQ(lines[1].rfind("usage: " + command + " ", 0), 0u) << args << "\n" << r.output;
    EXPECT_LE(lines[0].size(), 100u) << lines[0];
    EXPECT_LE(lines[1].size(), 100u) << lines[1];
}

}  // namespace

TEST(CliUsage, TypoedCommandIsNamedWithTheNearestCommand)
{
    expect_usage_error("evalute --model m.h5", "handposture: unknown command 'evalute'; did you mean 'evaluate'?",
                       "handposture");
    expect_usage_error("dataset inof", "handposture dataset: unknown command 'inof'; did you mean 'info'?",
                       "handposture dataset");
    // Nothing near: no suggestion, the usage lists the commands.
    expect_usage_error("xyzzy", "handposture: unknown command 'xyzzy'", "handposture");
}

TEST(CliUsage, TypoedOptionIsNamedEvenWithARequiredOptionMissing)
{
    // --model is required and missing too; the unknown word is what the user needs to see.
    expect_usage_error("evaluate --modle m.h5", "handposture evaluate: unknown option '--modle'; did you mean '--model'?",
                       "handposture evaluate");
    expect_usage_error("dataset info --jsno", "handposture dataset info: unknown option '--jsno'; did you mean '--json'?",
                       "handposture dataset info");
    expect_usage_error("dataset info --json extra", "handposture dataset info: unexpected argument 'extra'",
                       "handposture dataset info");
}

TEST(CliUsage, MissingRequiredOption)
{
    expect_usage_error("evaluate --data somewhere", "handposture evaluate: --model is required", "handposture evaluate");
    hp::test::CommandResult r = hp::test::run_cli("evaluate");
    EXPECT_NE(r.output.find("usage: handposture evaluate --model MODEL [--data DATA]"), std::string::npos) << r.output;
}

TEST(CliUsage, GroupWithoutCommandListsItsCommands)
{
    expect_usage_error("dataset", "handposture dataset: missing command: info|show|convert", "handposture dataset");
    hp::test::CommandResult r = hp::test::run_cli("dataset");
    for (const char* command : {"\n  info ", "\n  show ", "\n  convert "})
        EXPECT_NE(r.output.find(command), std::string::npos) << command << "\n" << r.output;
    expect_usage_error("", "handposture: missing command", "handposture");
    r = hp::test::run_cli("");
    for (const char* command : {"\n  live ", "\n  train ", "\n  evaluate ", "\n  deploy ", "\n  dataset "})
        EXPECT_NE(r.output.find(command), std::string::npos) << command << "\n" << r.output;
}

TEST(CliUsage, BadInputFileIsExitCodeOne)
{
    hp::test::ScratchDir dir;
    hp::test::CommandResult r = hp::test::run_cli("model summary --model '" + (dir / "absent.h5").string() + "'");
    EXPECT_EQ(r.exit_code, 1) << r.output;
    std::vector<std::string> lines = lines_of(r.output);
    ASSERT_EQ(lines.size(), 1u) << r.output;
    EXPECT_EQ(lines[0].rfind("handposture: error: " + (dir / "absent.h5").string() + ": ", 0), 0u) << r.output;
}

TEST(CliUsage, HelpDocumentsTheExitCodes)
{
    for (const char* args : {"--help", "evaluate --help", "dataset info --help"}) {
        hp::test::CommandResult r = hp::test::run_cli(args);
        EXPECT_EQ(r.exit_code, 0) << args << "\n" << r.output;
        EXPECT_NE(r.output.find("Exit status:\n  0  done\n  1  bad input"), std::string::npos) << args << "\n" << r.output;
        EXPECT_NE(r.output.find("\n  2  usage error"), std::string::npos) << args << "\n" << r.output;
    }
}
