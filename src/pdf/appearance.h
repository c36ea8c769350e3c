#pragma once

// Appearance streams for signature widgets (ISO 32000-1 §12.5.5, §12.7.4.5).

#include <inkan/pdf/document.h>

#include "update.h"

namespace inkan::pdf::detail {

/// Adds the normal appearance (/AP /N) of a widget `width` x `height` points to `update` and
/// returns its reference: an empty form XObject when `appearance` is null (invisible), otherwise
/// a border, the text lines and the optional image. Errc::InvalidRequest for an image that is
/// neither a PNG nor a baseline/progressive JPEG, or that does not decode.
ObjRef add_appearance(IncrementalUpdate& update, const Appearance* appearance, double width, double height);

}  // namespace inkan::pdf::detail
