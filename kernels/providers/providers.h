/*
 * providers.h - comparison providers: other libraries' kernels registered as
 * ordinary kernels (never chosen automatically; run --kernel NAME), so one run
 * puts sorabench's kernel beside them on the same shape. Each is a meson
 * feature, built only where its library is found. A fused layer's epilogue
 * (GELU, gate + residual) runs after their GEMM as a second, portable pass.
 */
#ifndef SB_PROVIDERS_H
#define SB_PROVIDERS_H
#include "kernel.h"

sb_status sb_onednn_pack(const float *w, size_t n, size_t k, void **packed);
void sb_onednn_free(void *packed);
void sb_onednn_linear(const sb_linear_args *a, sb_pool *pool);
/* The same call for weights packed by these: BF16 and INT8 (onednn.c's header says how). */
sb_status sb_onednn_bf16_pack(const float *w, size_t n, size_t k, void **packed);
sb_status sb_onednn_int8_pack(const float *w, size_t n, size_t k, void **packed);
/* The INT8 weights' range on this host: 127 where oneDNN has VNNI, else 63 (onednn.c). */
int sb_onednn_int8_wmax(void);
/* sb_kernel.lib_setup for the oneDNN kernels: dnnl_set_max_cpu_isa from the cap. */
sb_status sb_onednn_setup(sb_isa_mask isa, bool capped, char *info, size_t len);
/* ... and for the INT8 kernel, which adds ", 7-bit weights" where oneDNN has no VNNI. */
sb_status sb_onednn_int8_setup(sb_isa_mask isa, bool capped, char *info, size_t len);

sb_status sb_openblas_pack(const float *w, size_t n, size_t k, void **packed);
void sb_openblas_free(void *packed);
void sb_openblas_linear(const sb_linear_args *a, sb_pool *pool);
/* sb_kernel.lib_setup for OpenBLAS: refuses a cap below the kernels it loaded (OPENBLAS_CORETYPE). */
sb_status sb_openblas_setup(sb_isa_mask isa, bool capped, char *info, size_t len);
#endif
