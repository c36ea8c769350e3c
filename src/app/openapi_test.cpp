// docs/openapi.yaml describes exactly the routes `inkan serve` registers: a route missing from the
// document, or a documented route the server does not serve, fails this test.

#include <set>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include <inkan/testing/process.h>

using inkan::testing::run;
using inkan::testing::TempDir;
using nlohmann::json;

namespace {

/// "/crl/{ca}.crl" → "/crl/*": a templated path is served by a prefix route.
std::string pattern_of(const std::string& openapi_path) {
    const auto brace = openapi_path.find('{');
    return brace == std::string::npos ? openapi_path : openapi_path.substr(0, brace) + "*";
}

}  // namespace

TEST(OpenApi, DocumentsExactlyTheRoutesTheServerServes) {
    // The document, read by a YAML parser we did not write.
    const auto parsed =
        run({"/usr/bin/python3", "-c",
             "import json, sys, yaml\n"
             "doc = yaml.safe_load(open(sys.argv[1]))\n"
             "assert doc['openapi'].startswith('3.'), doc['openapi']\n"
             "print(json.dumps([[m.upper(), p] for p, ops in doc['paths'].items() for m in ops\n"
             "                  if m in ('get', 'post', 'put', 'delete', 'patch')]))\n",
             INKAN_SOURCE_DIR "/docs/openapi.yaml"});
    ASSERT_EQ(parsed.exit_code, 0) << parsed.out << parsed.err;
    std::set<std::pair<std::string, std::string>> documented;
    for (const auto& op : json::parse(parsed.out)) {
        documented.emplace(op[0].get<std::string>(), pattern_of(op[1].get<std::string>()));
    }

    TempDir tmp{"inkan-openapi"};
    const auto data = (tmp / "data").string();
    const auto init = run({INKAN_BIN, "init", "--data", data});
    ASSERT_EQ(init.exit_code, 0) << init.out << init.err;
    const auto routes = run({INKAN_BIN, "serve", "--data", data, "--routes"});
    ASSERT_EQ(routes.exit_code, 0) << routes.out << routes.err;
    std::set<std::pair<std::string, std::string>> served;
    for (const auto& r : json::parse(routes.out)) {
        served.emplace(r["method"].get<std::string>(), r["path"].get<std::string>());
    }

    for (const auto& [method, path] : served) {
        EXPECT_TRUE(documented.count({method, path}))
            << method << " " << path << " is served but not in docs/openapi.yaml";
    }
    for (const auto& [method, path] : documented) {
        EXPECT_TRUE(served.count({method, path}))
            << method << " " << path << " is in docs/openapi.yaml but not served";
    }
    EXPECT_GE(served.size(), 15U);
}
