// A fault-injecting PKCS#11 module for tests (issue 20): it loads the real module named by
// INKAN_P11SHIM_MODULE (SoftHSM2 in the tests), hands out its function list unchanged except for
// C_SignInit, and there reads the control file INKAN_P11SHIM_CONTROL on every call. The file says which
// fault a signing key meets, so a test flips faults on and off while `inkan serve` runs:
//
//   mode=device_removed | session_handle_invalid | token_not_present | device_error | hang | ok
//   label=cred-...      only keys with this CKA_LABEL (none: every key, the TLS key's too)
//   hang_ms=N           mode=hang: C_SignInit sleeps this long, then goes on (a stuck HSM)
//   count=N             only the first N matching calls after the file last changed (0: all)
//
// Every fault also appends a line to INKAN_P11SHIM_CONTROL + ".log" (mode and label), so a test can tell
// that the fault was really met. Faults are what a network HSM does when it is unplugged, restarted or
// overloaded: the session's operation fails (or waits), the module itself stays loaded.

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>

#include <dlfcn.h>

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wold-style-cast"
#pragma GCC diagnostic ignored "-Wzero-as-null-pointer-constant"
#pragma GCC diagnostic ignored "-Wpedantic"
#include <p11-kit/pkcs11.h>
#pragma GCC diagnostic pop

namespace {

std::mutex g_mutex;
void* g_lib = nullptr;
CK_FUNCTION_LIST_PTR g_real = nullptr;
CK_FUNCTION_LIST g_list;

struct Control {
    std::string mode = "ok";
    std::string label;
    long hang_ms = 0;
    long count = 0;
    std::string text;  ///< the whole file, to tell when it changed
};

std::string g_last_text;
long g_injected = 0;

Control read_control() {
    Control c;
    const char* path = std::getenv("INKAN_P11SHIM_CONTROL");
    if (path == nullptr) {
        return c;
    }
    std::ifstream in{path};
    std::string line;
    while (std::getline(in, line)) {
        const auto eq = line.find('=');
        if (eq == std::string::npos) {
            continue;
        }
        const std::string key = line.substr(0, eq);
        const std::string value = line.substr(eq + 1);
        c.text += line + "\n";
        if (key == "mode") {
            c.mode = value;
        } else if (key == "label") {
            c.label = value;
        } else if (key == "hang_ms") {
            c.hang_ms = std::strtol(value.c_str(), nullptr, 10);
        } else if (key == "count") {
            c.count = std::strtol(value.c_str(), nullptr, 10);
        }
    }
    return c;
}

void note(const std::string& what) {
    const char* path = std::getenv("INKAN_P11SHIM_CONTROL");
    if (path != nullptr) {
        std::ofstream{std::string{path} + ".log", std::ios::app} << what << "\n";
    }
}

std::string key_label(CK_SESSION_HANDLE session, CK_OBJECT_HANDLE key) {
    char buf[256];
    CK_ATTRIBUTE a{CKA_LABEL, buf, sizeof buf};
    if (g_real->C_GetAttributeValue(session, key, &a, 1) != CKR_OK || a.ulValueLen > sizeof buf) {
        return {};
    }
    return std::string{buf, a.ulValueLen};
}

CK_RV shim_sign_init(CK_SESSION_HANDLE session, CK_MECHANISM_PTR mechanism, CK_OBJECT_HANDLE key) {
    const Control c = read_control();
    bool inject = c.mode != "ok" && (c.label.empty() || key_label(session, key) == c.label);
    if (inject) {
        const std::lock_guard lock{g_mutex};
        if (c.text != g_last_text) {
            g_last_text = c.text;
            g_injected = 0;
        }
        inject = c.count == 0 || g_injected < c.count;
        g_injected += inject ? 1 : 0;
    }
    if (inject) {
        note(c.mode + " " + c.label);
        if (c.mode == "device_removed") {
            return CKR_DEVICE_REMOVED;
        }
        if (c.mode == "session_handle_invalid") {
            return CKR_SESSION_HANDLE_INVALID;
        }
        if (c.mode == "token_not_present") {
            return CKR_TOKEN_NOT_PRESENT;
        }
        if (c.mode == "device_error") {
            return CKR_DEVICE_ERROR;
        }
        if (c.mode == "hang") {
            std::this_thread::sleep_for(std::chrono::milliseconds{c.hang_ms});
        }
    }
    return g_real->C_SignInit(session, mechanism, key);
}

CK_RV load() {
    const std::lock_guard lock{g_mutex};
    if (g_real != nullptr) {
        return CKR_OK;
    }
    const char* module = std::getenv("INKAN_P11SHIM_MODULE");
    if (module == nullptr) {
        return CKR_GENERAL_ERROR;
    }
    g_lib = ::dlopen(module, RTLD_NOW | RTLD_LOCAL);
    if (g_lib == nullptr) {
        return CKR_GENERAL_ERROR;
    }
    CK_C_GetFunctionList get = nullptr;
    void* sym = ::dlsym(g_lib, "C_GetFunctionList");
    std::memcpy(&get, &sym, sizeof get);
    CK_FUNCTION_LIST_PTR real = nullptr;
    if (get == nullptr || get(&real) != CKR_OK || real == nullptr) {
        return CKR_GENERAL_ERROR;
    }
    g_real = real;
    g_list = *real;
    g_list.C_SignInit = &shim_sign_init;
    return CKR_OK;
}

}  // namespace

extern "C" __attribute__((visibility("default"))) CK_RV C_GetFunctionList(CK_FUNCTION_LIST_PTR_PTR list) {
    if (list == nullptr) {
        return CKR_ARGUMENTS_BAD;
    }
    const CK_RV rv = load();
    if (rv != CKR_OK) {
        return rv;
    }
    *list = &g_list;
    return CKR_OK;
}
