/*
 * presets.c - the preset tables (data) and shape resolution.
 * Values: shared/opensora-shapes.md sections 1.1, 4.1, 4.2, 3.1.
 */
#include "presets.h"

#include <string.h>

const sb_model sb_models[] = {
    {.name = "stdit3-xl2",
     .desc = "OpenSora 1.2 STDiT3-XL/2 (the released model): 28+28 blocks, C 1152, 16 heads",
     .depth = 28, .hidden = 1152, .heads = 16, .mlp_hidden = 4608, .in_ch = 4, .out_ch = 8,
     .patch_h = 2, .patch_w = 2, .caption_ch = 4096, .text_len = 300, .freq_dim = 256},
    {.name = "stdit3-3b2",
     .desc = "OpenSora 1.2 STDiT3-3B/2 (registered upstream, unreleased): C 1872, 26 heads",
     .depth = 28, .hidden = 1872, .heads = 26, .mlp_hidden = 7488, .in_ch = 4, .out_ch = 8,
     .patch_h = 2, .patch_w = 2, .caption_ch = 4096, .text_len = 300, .freq_dim = 256},
    {.name = "tiny",
     .desc = "test model: the STDiT3 op graph at small sizes (2+2 blocks, C 64, 4 heads of 16)",
     .depth = 2, .hidden = 64, .heads = 4, .mlp_hidden = 256, .in_ch = 4, .out_ch = 8,
     .patch_h = 2, .patch_w = 2, .caption_ch = 128, .text_len = 16, .freq_dim = 32},
};
const size_t sb_models_count = SB_ARRAY_LEN(sb_models);

/* aspect.py (9:16 means H:W = 0.56, a landscape frame). */
const sb_res sb_resolutions[] = {
    {"144p", "9:16", 144, 256},  {"144p", "1:1", 192, 192},  {"144p", "16:9", 256, 144},
    {"240p", "9:16", 240, 426},  {"240p", "1:1", 320, 320},  {"240p", "16:9", 426, 240},
    {"360p", "9:16", 360, 640},  {"360p", "1:1", 480, 480},  {"360p", "16:9", 640, 360},
    {"480p", "9:16", 480, 854},  {"480p", "1:1", 640, 640},  {"480p", "16:9", 854, 480},
    {"720p", "9:16", 720, 1280}, {"720p", "1:1", 960, 960},  {"720p", "16:9", 1280, 720},
};
const size_t sb_resolutions_count = SB_ARRAY_LEN(sb_resolutions);

/* NUM_FRAMES_MAP; an image uses IMG_FPS = 120. */
const sb_dur sb_durations[] = {
    {"image", 1, 120}, {"2s", 51, 24}, {"4s", 102, 24}, {"8s", 204, 24}, {"16s", 408, 24},
};
const size_t sb_durations_count = SB_ARRAY_LEN(sb_durations);

const sb_model *sb_model_find(const char *name)
{
    for (size_t i = 0; name && i < sb_models_count; i++)
        if (strcmp(sb_models[i].name, name) == 0)
            return &sb_models[i];
    return NULL;
}

const sb_res *sb_res_find(const char *name, const char *aspect)
{
    if (!aspect)
        aspect = "9:16";
    for (size_t i = 0; name && i < sb_resolutions_count; i++)
        if (strcmp(sb_resolutions[i].name, name) == 0 &&
            strcmp(sb_resolutions[i].aspect, aspect) == 0)
            return &sb_resolutions[i];
    return NULL;
}

const sb_dur *sb_dur_find(const char *name)
{
    for (size_t i = 0; name && i < sb_durations_count; i++)
        if (strcmp(sb_durations[i].name, name) == 0)
            return &sb_durations[i];
    return NULL;
}

int sb_latent_frames(int frames)
{
    if (frames <= 1)
        return 1;
    /* each 17-frame chunk -> 5 latent frames; a partial chunk -> ceil(rest / 4) */
    return 5 * (frames / 17) + (frames % 17 + 3) / 4;
}

void sb_shape_resolve(const sb_model *m, const sb_res *r, const sb_dur *d, bool cfg,
                      sb_shape *out)
{
    memset(out, 0, sizeof(*out));
    out->model = m;
    out->res = r;
    out->dur = d;
    out->B = cfg ? 2 : 1;
    out->T = sb_latent_frames(d->frames);
    out->Hl = r->height / 8;
    out->Wl = r->width / 8;
    out->Hp = (out->Hl + m->patch_h - 1) / m->patch_h; /* zero-padded up to the patch */
    out->Wp = (out->Wl + m->patch_w - 1) / m->patch_w;
    out->S = out->Hp * out->Wp;
    out->N = (long)out->T * out->S;
    out->L = m->text_len;
    out->C = m->hidden;
    out->heads = m->heads;
    out->D = m->hidden / m->heads;
}
