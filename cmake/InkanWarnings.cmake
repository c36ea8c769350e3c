# One interface target carries the warning and hardening flags for every inkan target.
add_library(inkan_warnings INTERFACE)
target_compile_options(inkan_warnings INTERFACE
  -Wall -Wextra -Wpedantic -Wshadow -Wconversion -Wsign-conversion
  -Wold-style-cast -Wnon-virtual-dtor -Wsuggest-override -Wcast-qual
  -Wzero-as-null-pointer-constant -Wextra-semi -Wimplicit-fallthrough
  -fstack-protector-strong)
# libstdc++ bounds checks in every build: the library-level guard for operator[].
# OpenSSL: only the 3.0 API; any deprecated call (engines, legacy key methods) fails to compile.
target_compile_definitions(inkan_warnings INTERFACE _GLIBCXX_ASSERTIONS
  OPENSSL_API_COMPAT=30000 OPENSSL_NO_DEPRECATED
  $<$<NOT:$<CONFIG:Debug>>:_FORTIFY_SOURCE=2>)
if(INKAN_WERROR)
  # GCC 12 reports false -Warray-bounds/-Wstringop-overflow from std::vector::insert at -O2
  # (seen in ../shared/reference/deps.md §9); keep them visible but not fatal.
  target_compile_options(inkan_warnings INTERFACE -Werror -Wno-error=array-bounds
    -Wno-error=stringop-overflow -Wno-error=restrict)
endif()
if(INKAN_SANITIZE)
  string(REPLACE ";" "," _san "${INKAN_SANITIZE}")
  target_compile_options(inkan_warnings INTERFACE -fsanitize=${_san} -fno-omit-frame-pointer
    -fno-sanitize-recover=undefined)
  target_link_options(inkan_warnings INTERFACE -fsanitize=${_san})
endif()
