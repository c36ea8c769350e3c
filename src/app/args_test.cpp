// The command-line word parser: how a newcomer types options is how they are read.

#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "args.h"

namespace {

using inkan::app::Args;
using inkan::app::UsageError;
using Words = std::vector<std::string>;

std::string joined(const std::vector<std::string>& v) {
    std::string out;
    for (const auto& s : v) {
        out += (out.empty() ? "" : " ") + s;
    }
    return out;
}

TEST(Args, ARepeatableOptionTakesOneValueSoTheFilesAfterItStayPositional) {
    // The README's form: "inkan sign --url ... --credential ID --tsa URL in.pdf out.pdf".
    const Args a{Words{"--url", "https://h", "--credential", "c1", "--tsa", "http://t1", "in.pdf", "out.pdf"},
                 {},
                 {"url", "credential", "tsa"}};
    EXPECT_EQ(joined(a.positional()), "in.pdf out.pdf");
    EXPECT_EQ(joined(a.values("tsa")), "http://t1");
}

TEST(Args, RepeatedOptionsKeepEveryValueInOrderAndOptionGivesTheLast) {
    const Args a{Words{"--tsa", "http://t1", "in.xml", "--tsa=http://t2", "--role", "経理部長", "out.xml",
                       "--tsa", "http://t3"},
                 {},
                 {"tsa", "role"}};
    EXPECT_EQ(joined(a.values("tsa")), "http://t1 http://t2 http://t3");
    EXPECT_EQ(a.option("tsa").value_or("<none>"), "http://t3");
    EXPECT_EQ(joined(a.values("role")), "経理部長");
    EXPECT_EQ(joined(a.positional()), "in.xml out.xml");
    EXPECT_TRUE(a.values("absent").empty());
    EXPECT_FALSE(a.option("absent").has_value());
}

TEST(Args, FlagsShortOptionsAndEverythingAfterADoubleDashIsPositional) {
    const Args a{Words{"-o", "out.txt", "--json", "--", "--tsa", "-x.pdf"}, {"json"}, {"o", "tsa"}};
    EXPECT_TRUE(a.flag("json"));
    EXPECT_EQ(a.option("o").value_or("<none>"), "out.txt");
    EXPECT_EQ(joined(a.positional()), "--tsa -x.pdf");
    EXPECT_TRUE(a.values("tsa").empty());
}

TEST(Args, UnknownOptionsAndMissingValuesAreUsageErrors) {
    try {
        const Args a{Words{"--tsaa", "x"}, {}, {"tsa"}};
        ADD_FAILURE() << "an unknown option was accepted";
    } catch (const UsageError& e) {
        EXPECT_EQ(e.message, "unknown option --tsaa");
    }
    try {
        const Args a{Words{"in.pdf", "--tsa"}, {}, {"tsa"}};
        ADD_FAILURE() << "an option without its value was accepted";
    } catch (const UsageError& e) {
        EXPECT_EQ(e.message, "option --tsa needs a value");
    }
    try {
        const Args a{Words{"--json=yes"}, {"json"}, {}};
        ADD_FAILURE() << "a flag with a value was accepted";
    } catch (const UsageError& e) {
        EXPECT_EQ(e.message, "unknown option --json=yes");
    }
}

}  // namespace
