#pragma once

// Appending to the audit chain inside a transaction the caller already holds: the audit store's own
// append and the SAD ledger's consume (the spend and its audit entry commit as one) share this.

#include <string_view>

#include <inkan/service/ports.h>
#include <inkan/storage/sqlite.h>

namespace inkan::storage::detail {

/// Reads the chain's head and inserts the entry `build` makes from it. The caller holds a write
/// transaction (BEGIN IMMEDIATE), so the head cannot move in between.
void append_audit_entry(Database& db, const service::AuditEntryBuilder& build, std::string_view purpose);

}  // namespace inkan::storage::detail
