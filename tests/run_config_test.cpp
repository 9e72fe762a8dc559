// `handposture run user_config.yaml` with ST's operation_mode deployment and benchmarking.
#include <gmock/gmock.h>

#include <fstream>
#include <sstream>

#include "test_support.hpp"

using ::testing::HasSubstr;

namespace {

using hp::test::read_text;

void write_config(const std::filesystem::path& p, const std::string& mode, const std::string& model,
                  const std::string& serie)
{
    std::ofstream(p) << "general:\n  model_path: " << model << "\noperation_mode: " << mode
                     << "\ndataset:\n  class_names: [None, Like, Dislike, FlatHand, Fist, Love, BreakTime, CrossHands]\n"
                     << "deployment:\n  hardware_setup:\n    serie: " << serie << "\n    board: NUCLEO\n";
}

}  // namespace

TEST(RunConfig, DeploymentModeWritesThePackageForTheSeriesCore)
{
    HP_REQUIRE_SHARED();
    hp::test::ScratchDir dir;
    write_config(dir / "deploy.yaml", "deployment", hp::test::st_pretrained_h5().string(), "STM32H7");
    auto r = hp::test::run_cli("run " + (dir / "deploy.yaml").string() + " --out " + (dir / "out").string());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    EXPECT_THAT(r.output, HasSubstr("cortex-m7"));
    const auto package = dir.path() / "out/deployment_package";
    EXPECT_TRUE(std::filesystem::exists(package / "hp_app.h"));
    const std::string config = read_text(package / "ai_model_config.h");
    EXPECT_THAT(config, HasSubstr("NB_CLASSES"));
    EXPECT_THAT(config, HasSubstr("\"CrossHands\""));
}

TEST(RunConfig, DeploymentWithoutModelNamesTheKey)
{
    hp::test::ScratchDir dir;
    std::ofstream(dir / "deploy.yaml") << "operation_mode: deployment\n";
    auto r = hp::test::run_cli("run " + (dir / "deploy.yaml").string() + " --out " + (dir / "out").string());
    EXPECT_EQ(r.exit_code, 1) << r.output;
    EXPECT_THAT(r.output, HasSubstr("general.model_path"));
    EXPECT_FALSE(std::filesystem::exists(dir / "out/deployment_package"));
}
