#pragma once

#include <iosfwd>
#include <string>
#include <vector>

namespace inkan::app {

struct Io {
    std::istream& in;
    std::ostream& out;
    std::ostream& err;
};

/// Each command gets the words after its name and returns the exit status.
int cmd_init(const std::vector<std::string>& words, Io io);
int cmd_serve(const std::vector<std::string>& words, Io io);
int cmd_hsm_status(const std::vector<std::string>& words, Io io);
int cmd_hsm_keys(const std::vector<std::string>& words, Io io);
int cmd_ca_list(const std::vector<std::string>& words, Io io);
int cmd_ca_show(const std::vector<std::string>& words, Io io);
int cmd_ca_issue(const std::vector<std::string>& words, Io io);
int cmd_ca_revoke(const std::vector<std::string>& words, Io io);
int cmd_ca_crl(const std::vector<std::string>& words, Io io);
int cmd_ca_ocsp(const std::vector<std::string>& words, Io io);

}  // namespace inkan::app
