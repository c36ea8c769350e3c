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
int cmd_maintenance(const std::vector<std::string>& words, Io io);
int cmd_purge(const std::vector<std::string>& words, Io io);
int cmd_migrate(const std::vector<std::string>& words, Io io);
int cmd_backup(const std::vector<std::string>& words, Io io);
int cmd_restore(const std::vector<std::string>& words, Io io);
int cmd_status(const std::vector<std::string>& words, Io io);
int cmd_hsm_status(const std::vector<std::string>& words, Io io);
int cmd_hsm_keys(const std::vector<std::string>& words, Io io);
int cmd_ca_list(const std::vector<std::string>& words, Io io);
int cmd_ca_show(const std::vector<std::string>& words, Io io);
int cmd_ca_issue(const std::vector<std::string>& words, Io io);
int cmd_ca_revoke(const std::vector<std::string>& words, Io io);
int cmd_ca_crl(const std::vector<std::string>& words, Io io);
int cmd_ca_ocsp(const std::vector<std::string>& words, Io io);
int cmd_ca_renew(const std::vector<std::string>& words, Io io);
int cmd_user_add(const std::vector<std::string>& words, Io io);
int cmd_user_list(const std::vector<std::string>& words, Io io);
int cmd_user_show(const std::vector<std::string>& words, Io io);
int cmd_user_lock(const std::vector<std::string>& words, Io io);
int cmd_user_role(const std::vector<std::string>& words, Io io);
int cmd_user_unlock(const std::vector<std::string>& words, Io io);
int cmd_user_passwd(const std::vector<std::string>& words, Io io);
int cmd_user_totp(const std::vector<std::string>& words, Io io);
int cmd_credential_create(const std::vector<std::string>& words, Io io);
int cmd_credential_list(const std::vector<std::string>& words, Io io);
int cmd_credential_show(const std::vector<std::string>& words, Io io);
int cmd_credential_revoke(const std::vector<std::string>& words, Io io);
int cmd_credential_unlock(const std::vector<std::string>& words, Io io);
int cmd_credential_import_cert(const std::vector<std::string>& words, Io io);
int cmd_credential_renew(const std::vector<std::string>& words, Io io);
int cmd_seal_add_member(const std::vector<std::string>& words, Io io);
int cmd_seal_remove_member(const std::vector<std::string>& words, Io io);
int cmd_client_add(const std::vector<std::string>& words, Io io);
int cmd_client_list(const std::vector<std::string>& words, Io io);
int cmd_client_remove(const std::vector<std::string>& words, Io io);
int cmd_audit_verify(const std::vector<std::string>& words, Io io);
int cmd_audit_export(const std::vector<std::string>& words, Io io);
int cmd_audit_anchor(const std::vector<std::string>& words, Io io);
int cmd_audit_anchors(const std::vector<std::string>& words, Io io);
int cmd_audit_archive(const std::vector<std::string>& words, Io io);
int cmd_timestamp(const std::vector<std::string>& words, Io io);
int cmd_sign(const std::vector<std::string>& words, Io io);
int cmd_extend(const std::vector<std::string>& words, Io io);
int cmd_verify(const std::vector<std::string>& words, Io io);
int cmd_tl_fetch(const std::vector<std::string>& words, Io io);
int cmd_tl_show(const std::vector<std::string>& words, Io io);

}  // namespace inkan::app
