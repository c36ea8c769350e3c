#pragma once

// The out-of-band approval page (decision 0034): GET /inkan/v1/approval?request=<reference> opens it,
// its form posts go to the same path. Server-rendered, no JavaScript, every echoed value HTML-escaped,
// every form carrying the CSRF token, the OAuth pages' headers (frame-busting, no-store, CSP, HSTS); in
// Japanese or English after the browser's Accept-Language.

#include <inkan/api/csc.h>
#include <inkan/http/router.h>
#include <inkan/service/oob.h>

namespace inkan::api::detail {

/// Registers GET and POST kApprovalPath on the worker pool.
void add_approval_routes(http::Router& router, service::OutOfBand& oob, const ServiceInfo& info);

}  // namespace inkan::api::detail
