/* A shared object that is not a plugin: it exports no fk_plugin_entry_v1. */
#include <finkernel/fk_plugin.h>

FK_EXTERN_C FK_PLUGIN_EXPORT int fk_not_a_plugin(void);
int fk_not_a_plugin(void) {
  return 42;
}
