// The ABI 1.2 layout (1.0 + appended members), frozen with static_assert (C++). A change to the
// size or offset of any ABI struct member, or to a constant's value, fails the build. The same list
// is checked in C11 by abi_layout_test.c.
#include <finkernel/fk_plugin.h>

#include <cstddef>
#include <cstdio>
#include <type_traits>

#if !(defined(__LP64__) || defined(_LP64))
#error "abi_layout_test.cpp checks the LP64 layout; add an ILP32 table before building for 32-bit"
#endif

#define FK_LAYOUT_SIZE(type, size) \
  static_assert(sizeof(type) == (size), "ABI break: sizeof(" #type ") changed");
#define FK_LAYOUT_OFFSET(type, member, offset)      \
  static_assert(offsetof(type, member) == (offset), \
                "ABI break: offset of " #type "." #member " changed");
#define FK_LAYOUT_CONST(name, value) \
  static_assert((name) == (value), "ABI break: value of " #name " changed");
#include "abi_layout_expect.h"

// Every ABI struct is standard-layout (so offsetof is meaningful and C and
// C++ agree), trivially copyable, and 8-byte aligned on LP64.
#define FK_LAYOUT_KIND(type)                                                              \
  static_assert(std::is_standard_layout_v<type>, #type " must be standard-layout");       \
  static_assert(std::is_trivially_copyable_v<type>, #type " must be trivially copyable"); \
  static_assert(alignof(type) == 8, #type " must be 8-byte aligned on LP64");
FK_LAYOUT_KIND(fk_str)
FK_LAYOUT_KIND(fk_bytes)
FK_LAYOUT_KIND(fk_error)
FK_LAYOUT_KIND(fk_log_field)
FK_LAYOUT_KIND(fk_log_api)
FK_LAYOUT_KIND(fk_http_api)
FK_LAYOUT_KIND(fk_db_api)
FK_LAYOUT_KIND(fk_crypto_api)
FK_LAYOUT_KIND(fk_audit_entry)
FK_LAYOUT_KIND(fk_audit_api)
FK_LAYOUT_KIND(fk_event)
FK_LAYOUT_KIND(fk_events_api)
FK_LAYOUT_KIND(fk_event_spec)
FK_LAYOUT_KIND(fk_config_api)
FK_LAYOUT_KIND(fk_authz_api)
FK_LAYOUT_KIND(fk_plugins_api)
FK_LAYOUT_KIND(fk_host_api)
FK_LAYOUT_KIND(fk_init_args)
FK_LAYOUT_KIND(fk_migrate_args)
FK_LAYOUT_KIND(fk_request_args)
FK_LAYOUT_KIND(fk_event_args)
FK_LAYOUT_KIND(fk_call_args)
FK_LAYOUT_KIND(fk_measure_args)
FK_LAYOUT_KIND(fk_plugin_callbacks)
FK_LAYOUT_KIND(fk_plugin_info)

// Scalar ABI types.
static_assert(std::is_same_v<fk_status, uint32_t>, "fk_status is uint32_t");
static_assert(std::is_same_v<fk_bool, uint32_t>, "fk_bool is uint32_t");
static_assert(FK_SIZE_THROUGH(fk_plugin_info, callbacks) == 64, "ABI 1.0 info block size");
static_assert(FK_SIZE_THROUGH(fk_plugin_callbacks, handle_call) == 56, "ABI 1.0 callbacks size");
// What a 1.0 host sends: readers test these boundaries with FK_HAS_FIELD.
static_assert(FK_SIZE_THROUGH(fk_event, occurred_at_ms) == 80, "ABI 1.0 fk_event size");
static_assert(FK_SIZE_THROUGH(fk_events_api, publish) == 16, "ABI 1.0 fk_events_api size");
// What a 1.0/1.1 plugin's callbacks table holds: the host reads measure_request only beyond it.
static_assert(FK_SIZE_THROUGH(fk_plugin_callbacks, measure_request) == 64,
              "ABI 1.2 callbacks size");

int main() {
  std::puts("abi layout (C++): ABI 1.2 LP64 layout intact");
  return 0;
}
