"""A small Llama-architecture decoder in PyTorch (1.13): RMSNorm, rotary, GQA, SwiGLU, tied embeddings.

Rotary uses the neox pairing (i, i + hd/2); the GGUF exporter permutes Q and K rows to the
interleaved pairing (2i, 2i + 1) that llama.cpp's `llama` architecture expects.
Shape legend: n sequence, d width, ff feed-forward width, nh heads, nkv key/value heads,
hd head size, V vocabulary, L layers, b batch.
"""

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass
class Config:
    vocab_size: int = 4096
    dim: int = 256
    n_layers: int = 8
    n_heads: int = 8
    n_kv_heads: int = 4
    ffn_dim: int = 768
    context_length: int = 512
    rope_base: float = 10000.0
    norm_eps: float = 1e-5

    @property
    def head_dim(self):
        return self.dim // self.n_heads

    def to_dict(self):
        return asdict(self)


class RMSNorm(nn.Module):
    def __init__(self, dim, eps):
        super().__init__()
        self.eps = eps
        self.weight = nn.Parameter(torch.ones(dim))  # [d]

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(cfg, n):
    """Return cos and sin tables of shape [n, hd] for the neox pairing."""
    hd = cfg.head_dim
    inv_freq = 1.0 / (cfg.rope_base ** (torch.arange(0, hd, 2, dtype=torch.float32) / hd))  # [hd/2]
    angles = torch.outer(torch.arange(n, dtype=torch.float32), inv_freq)  # [n, hd/2]
    angles = torch.cat([angles, angles], dim=-1)  # [n, hd]
    return angles.cos(), angles.sin()


def apply_rope(x, cos, sin):
    """Rotate x of shape [b, heads, n, hd] with the neox pairing."""
    half = x.shape[-1] // 2
    rotated = torch.cat([-x[..., half:], x[..., :half]], dim=-1)
    return x * cos + rotated * sin


class Attention(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        hd = cfg.head_dim
        self.wq = nn.Linear(cfg.dim, cfg.n_heads * hd, bias=False)  # weight [nh*hd, d]
        self.wk = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)  # weight [nkv*hd, d]
        self.wv = nn.Linear(cfg.dim, cfg.n_kv_heads * hd, bias=False)  # weight [nkv*hd, d]
        self.wo = nn.Linear(cfg.n_heads * hd, cfg.dim, bias=False)  # weight [d, nh*hd]

    def forward(self, x, cos, sin, mask):
        b, n, _ = x.shape
        cfg = self.cfg
        hd = cfg.head_dim
        q = self.wq(x).view(b, n, cfg.n_heads, hd).transpose(1, 2)  # [b, nh, n, hd]
        k = self.wk(x).view(b, n, cfg.n_kv_heads, hd).transpose(1, 2)  # [b, nkv, n, hd]
        v = self.wv(x).view(b, n, cfg.n_kv_heads, hd).transpose(1, 2)  # [b, nkv, n, hd]
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        group = cfg.n_heads // cfg.n_kv_heads
        k = k.repeat_interleave(group, dim=1)  # [b, nh, n, hd]
        v = v.repeat_interleave(group, dim=1)  # [b, nh, n, hd]
        scores = (q @ k.transpose(-2, -1)) / math.sqrt(hd) + mask  # [b, nh, n, n]
        out = F.softmax(scores, dim=-1) @ v  # [b, nh, n, hd]
        return self.wo(out.transpose(1, 2).reshape(b, n, cfg.n_heads * hd))


class FeedForward(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.w_gate = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)  # weight [ff, d]
        self.w_up = nn.Linear(cfg.dim, cfg.ffn_dim, bias=False)  # weight [ff, d]
        self.w_down = nn.Linear(cfg.ffn_dim, cfg.dim, bias=False)  # weight [d, ff]

    def forward(self, x):
        return self.w_down(F.silu(self.w_gate(x)) * self.w_up(x))


class Block(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.attn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.attn = Attention(cfg)
        self.ffn_norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.ffn = FeedForward(cfg)

    def forward(self, x, cos, sin, mask):
        x = x + self.attn(self.attn_norm(x), cos, sin, mask)
        return x + self.ffn(self.ffn_norm(x))


class Llama(nn.Module):
    def __init__(self, cfg):
        super().__init__()
        self.cfg = cfg
        self.tok_embeddings = nn.Embedding(cfg.vocab_size, cfg.dim)  # weight [V, d], also the output matrix
        self.layers = nn.ModuleList(Block(cfg) for _ in range(cfg.n_layers))
        self.norm = RMSNorm(cfg.dim, cfg.norm_eps)
        self.apply(self._init_weights)
        # Scale residual output projections down with depth, as GPT-2 does.
        for name, p in self.named_parameters():
            if name.endswith('wo.weight') or name.endswith('w_down.weight'):
                nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * cfg.n_layers))

    @staticmethod
    def _init_weights(module):
        if isinstance(module, (nn.Linear, nn.Embedding)):
            nn.init.normal_(module.weight, mean=0.0, std=0.02)

    def forward(self, ids):
        """Return logits [b, n, V] for token ids [b, n]."""
        n = ids.shape[1]
        cos, sin = rope_tables(self.cfg, n)
        mask = torch.full((n, n), float('-inf')).triu(1)  # [n, n]
        x = self.tok_embeddings(ids)  # [b, n, d]
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x) @ self.tok_embeddings.weight.t()  # [b, n, V]
