"""PyTorch peer of `./supportlm bench sft`: the same LoRA SFT step, timed the same way (mean
of the timed steps after warm-up).

A SmolLM2-135M-shaped Llama (30 layers, hidden 576, intermediate 1536, 9 heads, 3 KV heads,
vocabulary 49,152, tied embeddings) with random weights, written out in plain torch (no
transformers: Debian's python3-torch 1.13 is all these machines have), LoRA r=16 (alpha 32) on
every linear layer of every block, the base frozen, AdamW on the adapters, batch 8 x 256, loss
on every token. Eager mode, f32, as many threads as asked. Prints one JSON line.

usage: python3 sft_step_torch.py [--threads 2] [--steps 3] [--warmup 1] [--batch 8] [--seq 256] [--layers 30]
"""
import argparse
import json
import math
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class LoraLinear(nn.Module):
    def __init__(self, fan_in, fan_out, r, alpha):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(fan_out, fan_in) * 0.02, requires_grad=False)
        self.lora_a = nn.Parameter(torch.randn(r, fan_in) / math.sqrt(fan_in))
        self.lora_b = nn.Parameter(torch.zeros(fan_out, r))
        self.scale = alpha / r

    def forward(self, x):
        return F.linear(x, self.weight) + F.linear(F.linear(x, self.lora_a), self.lora_b) * self.scale


class RmsNorm(nn.Module):
    def __init__(self, dim, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim), requires_grad=False)
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rope_tables(seq, head_dim, theta=100000.0):
    inv = 1.0 / (theta ** (torch.arange(0, head_dim, 2).float() / head_dim))
    freqs = torch.outer(torch.arange(seq).float(), inv)
    emb = torch.cat([freqs, freqs], dim=-1)
    return emb.cos(), emb.sin()


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


class Block(nn.Module):
    def __init__(self, hidden, inter, heads, kv_heads, r, alpha):
        super().__init__()
        self.heads, self.kv_heads, self.head_dim = heads, kv_heads, hidden // heads
        self.input_norm = RmsNorm(hidden)
        self.post_norm = RmsNorm(hidden)
        self.q = LoraLinear(hidden, hidden, r, alpha)
        self.k = LoraLinear(hidden, kv_heads * self.head_dim, r, alpha)
        self.v = LoraLinear(hidden, kv_heads * self.head_dim, r, alpha)
        self.o = LoraLinear(hidden, hidden, r, alpha)
        self.gate = LoraLinear(hidden, inter, r, alpha)
        self.up = LoraLinear(hidden, inter, r, alpha)
        self.down = LoraLinear(inter, hidden, r, alpha)

    def forward(self, x, cos, sin, mask):
        B, T, C = x.shape
        h = self.input_norm(x)
        q = self.q(h).view(B, T, self.heads, self.head_dim).transpose(1, 2)
        k = self.k(h).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v(h).view(B, T, self.kv_heads, self.head_dim).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        rep = self.heads // self.kv_heads
        k = k.repeat_interleave(rep, dim=1)
        v = v.repeat_interleave(rep, dim=1)
        att = (q @ k.transpose(-2, -1)) / math.sqrt(self.head_dim) + mask
        y = att.softmax(-1) @ v
        x = x + self.o(y.transpose(1, 2).reshape(B, T, C))
        h = self.post_norm(x)
        return x + self.down(F.silu(self.gate(h)) * self.up(h))


class Model(nn.Module):
    def __init__(self, layers, hidden, inter, heads, kv_heads, vocab, r, alpha):
        super().__init__()
        self.embed = nn.Parameter(torch.randn(vocab, hidden) * 0.02, requires_grad=False)
        self.blocks = nn.ModuleList(Block(hidden, inter, heads, kv_heads, r, alpha) for _ in range(layers))
        self.norm = RmsNorm(hidden)

    def forward(self, ids, cos, sin, mask):
        x = F.embedding(ids, self.embed)
        for b in self.blocks:
            x = b(x, cos, sin, mask)
        return F.linear(self.norm(x), self.embed)  # tied head


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--steps", type=int, default=3)
    p.add_argument("--warmup", type=int, default=1)
    p.add_argument("--batch", type=int, default=8)
    p.add_argument("--seq", type=int, default=256)
    p.add_argument("--layers", type=int, default=30)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(0)
    model = Model(a.layers, 576, 1536, 9, 3, 49152, 16, 32)
    trainable = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(trainable, lr=1e-4)
    ids = torch.randint(0, 49152, (a.batch, a.seq))
    cos, sin = rope_tables(a.seq, 64)
    mask = torch.full((a.seq, a.seq), float("-inf")).triu(1)
    times = []
    for step in range(a.warmup + a.steps):
        t0 = time.perf_counter()
        logits = model(ids, cos, sin, mask)
        loss = F.cross_entropy(logits[:, :-1].reshape(-1, logits.shape[-1]), ids[:, 1:].reshape(-1))
        opt.zero_grad()
        loss.backward()
        opt.step()
        if step >= a.warmup:
            times.append(time.perf_counter() - t0)
    best, mean = min(times), sum(times) / len(times)
    print(json.dumps({"peer": "pytorch " + torch.__version__, "threads": a.threads, "step_seconds": mean,
                      "best_step_seconds": best, "tokens_per_second": a.batch * a.seq / mean,
                      "trainable_parameters": sum(p.numel() for p in trainable)}))


if __name__ == "__main__":
    main()
