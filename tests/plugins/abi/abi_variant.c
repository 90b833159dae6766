/* A plugin whose info block claims the ABI version given at build time
 * (ABI_MAJOR, ABI_MINOR): the kernel must refuse a major other than its
 * own and a minor newer than its own, with both versions in the message. */
#include <finkernel/fk_plugin.h>

static fk_status variant_init(const fk_init_args* args, void** out_state) {
  (void)args;
  *out_state = FK_NULL;
  return FK_OK;
}

static void variant_shutdown(void* state) {
  (void)state;
}

static const fk_plugin_callbacks variant_callbacks = {
    FK_CAST(uint32_t, sizeof(fk_plugin_callbacks)),
    0u,
    variant_init,
    FK_NULL,
    variant_shutdown,
    FK_NULL,
    FK_NULL,
    FK_NULL};

static const fk_plugin_info variant_info = {FK_CAST(uint32_t, sizeof(fk_plugin_info)),
                                            FK_PLUGIN_MAGIC,
                                            ABI_MAJOR,
                                            ABI_MINOR,
                                            FK_CAST(uint32_t, sizeof(void*)),
                                            FK_SDK_VERSION_NUM,
                                            FK_STR_LIT("abitest"),
                                            FK_STR_LIT("1.0.0"),
                                            &variant_callbacks};

FK_EXTERN_C FK_PLUGIN_EXPORT const fk_plugin_info* fk_plugin_entry_v1(void);
const fk_plugin_info* fk_plugin_entry_v1(void) {
  return &variant_info;
}
