/* The ABI 1.2 layout, frozen with C11 _Static_assert: the same list as
 * abi_layout_test.cpp, checked by the C compiler (C and C++ must agree). */
#include <finkernel/fk_plugin.h>

#include <stdio.h>

#if !(defined(__LP64__) || defined(_LP64))
#error "abi_layout_test.c checks the LP64 layout; add an ILP32 table before building for 32-bit"
#endif

#define FK_LAYOUT_SIZE(type, size) \
  _Static_assert(sizeof(type) == (size), "ABI break: sizeof(" #type ") changed");
#define FK_LAYOUT_OFFSET(type, member, offset)       \
  _Static_assert(offsetof(type, member) == (offset), \
                 "ABI break: offset of " #type "." #member " changed");
#define FK_LAYOUT_CONST(name, value) \
  _Static_assert((name) == (value), "ABI break: value of " #name " changed");
#include "abi_layout_expect.h"

_Static_assert(_Alignof(fk_host_api) == 8, "fk_host_api must be 8-byte aligned on LP64");
_Static_assert(_Alignof(fk_plugin_info) == 8, "fk_plugin_info must be 8-byte aligned on LP64");

int main(void) {
  puts("abi layout (C11): ABI 1.2 LP64 layout intact");
  return 0;
}
