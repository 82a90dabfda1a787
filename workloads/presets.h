/*
 * presets.h - model presets and resolution/duration presets (OpenSora 1.2).
 *
 * The facts come from shared/opensora-shapes.md: section 1.1 (hyper-parameters),
 * 4.1 (resolutions and aspect ratios), 4.2 and 3.1 (frames -> latent T).
 * sb_shape_resolve() turns (model, resolution, aspect, duration, cfg) into the
 * sizes every layer is built from.
 */
#ifndef SB_PRESETS_H
#define SB_PRESETS_H

#include <stdbool.h>
#include <stddef.h>
#include "sb_status.h"

/* Hyper-parameters of one DiT model. */
typedef struct sb_model {
    const char *name;      /* preset key, e.g. "stdit3-xl2" */
    const char *desc;      /* one line for `list models` */
    int depth;             /* spatial+temporal block pairs (28 for XL/2) */
    int hidden;            /* C, channels of the residual stream */
    int heads;             /* attention heads; head dim D = hidden / heads */
    int mlp_hidden;        /* fc1 output channels (4C) */
    int in_ch;             /* latent channels entering the patch embedder */
    int out_ch;            /* channels per patch out of the final layer (8) */
    int patch_h, patch_w;  /* spatial patch size (temporal patch is 1) */
    int caption_ch;        /* text encoder width (4096 for T5-XXL) */
    int text_len;          /* padded text tokens fed to the caption MLP (300) */
    int freq_dim;          /* sinusoidal timestep embedding width (256) */
} sb_model;

/* One resolution preset x aspect ratio: pixel size of the frame. */
typedef struct sb_res {
    const char *name;      /* "144p", ..., "720p" */
    const char *aspect;    /* "9:16" (landscape, H:W = 0.56), "1:1", "16:9" */
    int height, width;     /* pixels */
} sb_res;

/* One duration preset: frames and fps. */
typedef struct sb_dur {
    const char *name;      /* "image", "2s", "4s", "8s", "16s" */
    int frames;            /* pixel frames F */
    int fps;               /* 24 for video, 120 for an image (IMG_FPS) */
} sb_dur;

/* Resolved sizes of one workload: everything a layer shape needs. */
typedef struct sb_shape {
    const sb_model *model;
    const sb_res *res;
    const sb_dur *dur;
    int B;                 /* batch seen by the DiT (2 with CFG, 1 without) */
    int T;                 /* latent frames */
    int Hl, Wl;            /* latent height/width (pixels / 8) */
    int Hp, Wp;            /* patches per frame along H and W (padded up) */
    int S;                 /* patches per frame, Hp * Wp */
    long N;                /* tokens per sample, T * S */
    int L;                 /* valid text tokens per sample (= text_len) */
    int C, heads, D;       /* hidden size, heads, head dim */
} sb_shape;

extern const sb_model sb_models[];
extern const size_t sb_models_count;
extern const sb_res sb_resolutions[];
extern const size_t sb_resolutions_count;
extern const sb_dur sb_durations[];
extern const size_t sb_durations_count;

/* Find a preset by name; NULL when unknown. Aspect may be NULL for "9:16". */
const sb_model *sb_model_find(const char *name);
const sb_res *sb_res_find(const char *name, const char *aspect);
const sb_dur *sb_dur_find(const char *name);

/* Latent frames for F pixel frames (17-frame micro-batches, 4x temporal). */
int sb_latent_frames(int frames);

/* Fill *out from the presets; cfg selects B = 2 (guidance) or 1. */
void sb_shape_resolve(const sb_model *m, const sb_res *r, const sb_dur *d, bool cfg,
                      sb_shape *out);

#endif
