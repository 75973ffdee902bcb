#!/usr/bin/python3
"""Plain PyTorch eager reference for bench/run.sh: the same work as org.minitron4j.bench.Bench, one benchmark per
process, one JSON line of results on stdout.

A small Llama-style model mirroring minitron4j's forward (RMSNorm, RoPE rotate-half, GQA with query heads grouped per
KV head, SwiGLU, untied LM head), random N(0, 0.02) weights from a fixed seed. Usage:
    reference.py calib|distill|winogrande|load|surgery [key=value ...]   (device=cuda|cpu, threads=N, shape=teacher|large)
"""
import json
import math
import mmap
import os
import resource
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

SHAPES = {  # vocab, hidden, ffn, layers, heads, kv_heads (as Bench.shape)
    "teacher": (262, 192, 512, 6, 8, 2),
    "large": (262, 512, 1536, 8, 8, 2),
}


class RMSNorm(nn.Module):
    def __init__(self, d, eps=1e-5):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(d))
        self.eps = eps

    def forward(self, x):
        return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps) * self.weight


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Attention(nn.Module):
    def __init__(self, d, nh, nkv):
        super().__init__()
        self.nh, self.nkv, self.hd = nh, nkv, d // nh
        self.q_proj = nn.Linear(d, nh * self.hd, bias=False)
        self.k_proj = nn.Linear(d, nkv * self.hd, bias=False)
        self.v_proj = nn.Linear(d, nkv * self.hd, bias=False)
        self.o_proj = nn.Linear(nh * self.hd, d, bias=False)

    def forward(self, x, cos, sin, mask):
        b, t, _ = x.shape
        nh, nkv, hd = self.nh, self.nkv, self.hd
        g = nh // nkv
        q = self.q_proj(x).view(b, t, nh, hd)
        k = self.k_proj(x).view(b, t, nkv, hd)
        v = self.v_proj(x).view(b, t, nkv, hd)
        q = q * cos + rotate_half(q) * sin  # cos, sin: (T, 1, hd)
        k = k * cos + rotate_half(k) * sin
        q = q.transpose(1, 2).reshape(b, nkv, g * t, hd)  # query head j*g+r -> group j
        k = k.transpose(1, 2)
        v = v.transpose(1, 2)
        s = torch.matmul(q, k.transpose(2, 3)) * (1.0 / math.sqrt(hd))
        s = (s.view(b, nkv, g, t, t) + mask).view(b, nkv, g * t, t)
        o = torch.matmul(s.softmax(-1), v).reshape(b, nh, t, hd).transpose(1, 2).reshape(b, t, nh * hd)
        return self.o_proj(o)


class Mlp(nn.Module):
    def __init__(self, d, ff):
        super().__init__()
        self.gate_proj = nn.Linear(d, ff, bias=False)
        self.up_proj = nn.Linear(d, ff, bias=False)
        self.down_proj = nn.Linear(ff, d, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class Block(nn.Module):
    def __init__(self, d, ff, nh, nkv):
        super().__init__()
        self.input_layernorm = RMSNorm(d)
        self.self_attn = Attention(d, nh, nkv)
        self.post_attention_layernorm = RMSNorm(d)
        self.mlp = Mlp(d, ff)

    def forward(self, x, cos, sin, mask):
        x = x + self.self_attn(self.input_layernorm(x), cos, sin, mask)
        return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    def __init__(self, vocab, d, ff, layers, nh, nkv, theta=10000.0):
        super().__init__()
        self.embed_tokens = nn.Embedding(vocab, d)
        self.layers = nn.ModuleList(Block(d, ff, nh, nkv) for _ in range(layers))
        self.norm = RMSNorm(d)
        self.lm_head = nn.Linear(d, vocab, bias=False)
        hd = d // nh
        self.register_buffer("inv_freq", 1.0 / theta ** (torch.arange(0, hd, 2).float() / hd), persistent=False)
        std_res = 0.02 / math.sqrt(2 * layers)
        for name, p in self.named_parameters():
            if p.dim() >= 2:
                nn.init.normal_(p, 0.0, std_res if ("o_proj" in name or "down_proj" in name) else 0.02)

    def hidden(self, ids):
        t = ids.shape[1]
        f = torch.outer(torch.arange(t, device=ids.device, dtype=torch.float32), self.inv_freq)
        emb = torch.cat((f, f), -1)
        cos, sin = emb.cos()[:, None, :], emb.sin()[:, None, :]
        mask = torch.full((t, t), -1e9, device=ids.device).triu(1)
        x = self.embed_tokens(ids)
        for layer in self.layers:
            x = layer(x, cos, sin, mask)
        return self.norm(x)

    def forward(self, ids):
        return self.lm_head(self.hidden(ids))


def model(shape, device, seed=1, ffn=None):
    v, d, ff, l, nh, nkv = SHAPES[shape]
    torch.manual_seed(seed)
    return Llama(v, d, ffn or ff, l, nh, nkv).to(device)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize()


# ---- (a) calibration with activation capture ----

class Capture:
    """Forward hooks on the sites minitron4j captures; each activation reduced as Calibration.sequenceReductions and
    accumulated as ActivationStats.addChannels / addCosines (float64, per block of consecutive samples)."""
    SITES = ("head", "mlp_pre", "mlp_post", "attn_norm", "mlp_norm")

    def __init__(self, m, n, blocks):
        self.acts = {}
        self.n, self.blocks, self.layers = n, blocks, len(m.layers)
        self.acc = {}
        self.cos = np.zeros((blocks, self.layers * (self.layers + 1) // 2))
        self.counts = np.zeros(blocks)
        for l, blk in enumerate(m.layers):
            blk.self_attn.o_proj.register_forward_pre_hook(self._pre("head", l))
            blk.mlp.gate_proj.register_forward_hook(self._out("mlp_pre", l))
            blk.mlp.down_proj.register_forward_pre_hook(self._pre("mlp_post", l))
            blk.input_layernorm.register_forward_hook(self._out("attn_norm", l))
            blk.post_attention_layernorm.register_forward_hook(self._out("mlp_norm", l))
            blk.register_forward_hook(self._block(l))
        iu = np.triu_indices(self.layers)
        self.iu = iu

    def _pre(self, site, l):
        def hook(mod, inp):
            self.acts[(site, l)] = inp[0]
        return hook

    def _out(self, site, l):
        def hook(mod, inp, out):
            self.acts[(site, l)] = out
        return hook

    def _block(self, l):
        def hook(mod, inp, out):
            self.acts[("in", l)] = inp[0]
            self.acts[("out", l)] = out
        return hook

    def reduce(self, start, b, t):
        block_of = (np.arange(start, start + b) * self.blocks) // self.n
        for l in range(self.layers):
            for site in self.SITES:
                a = self.acts[(site, l)].double().abs()  # (B, T, W)
                mean = a.mean(1)
                sq = a.mul_(a).sum(1)
                v = torch.stack((mean, sq)).cpu().numpy()  # (2, B, W)
                xm, xl2 = v[0], v[1]
                xv = np.maximum(0, xl2 / t - xm * xm)
                mom = np.stack((xm, xm * xm, np.sqrt(xl2), xl2, xv, xv * xv), 1)  # (B, 6, W)
                acc = self.acc.setdefault((site, l), np.zeros((self.blocks, 6, xm.shape[1])))
                np.add.at(acc, block_of, mom)
        ins = torch.stack([self.acts[("in", l)] for l in range(self.layers)], 2).double()  # (B, T, L, d)
        outs = torch.stack([self.acts[("out", l)] for l in range(self.layers)], 2).double()
        ins = ins / ins.square().sum(3, keepdim=True).sqrt().clamp_min(1e-300)
        outs = outs / outs.square().sum(3, keepdim=True).sqrt().clamp_min(1e-300)
        allc = torch.matmul(ins, outs.transpose(2, 3)).sum(1).cpu().numpy()  # (B, L, L)
        np.add.at(self.cos, block_of, allc[:, self.iu[0], self.iu[1]])
        np.add.at(self.counts, block_of, 1)
        self.acts.clear()


def windows(n, t, vocab, seed):
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, vocab, (n, t), generator=g)


def calib(a, dev):
    shape = a.get("shape", "teacher")
    n, t, bs = int(a.get("samples", 128)), int(a.get("seq", 128)), int(a.get("batch", 16))
    m = model(shape, dev).eval()
    ids = windows(n, t, SHAPES[shape][0], 2)

    def run(ids):
        cap = Capture(m, len(ids), min(len(ids), 32))
        with torch.no_grad():
            for s in range(0, len(ids), bs):
                b = min(bs, len(ids) - s)
                m.hidden(ids[s:s + b].to(dev))  # no LM head, as Forward.Options.withoutLogits
                cap.reduce(s, b, t)
        return cap

    run(ids[:bs])  # warm-up; its hooks are dropped before the timed run
    for mod in m.modules():
        mod._forward_hooks.clear()
        mod._forward_pre_hooks.clear()
    sync(dev)
    t0 = time.perf_counter()
    cap = run(ids)
    sync(dev)
    secs = time.perf_counter() - t0
    assert cap.counts.sum() == n
    for mod in m.modules():
        mod._forward_hooks.clear()
        mod._forward_pre_hooks.clear()
    t0 = time.perf_counter()  # stage split: plain forward of the same windows, no hooks, no LM head
    with torch.no_grad():
        for s in range(0, n, bs):
            m.hidden(ids[s:s + bs].to(dev)).cpu()
    sync(dev)
    fwd = time.perf_counter() - t0
    return dict(shape=shape, samples=n, seq=t, batch=bs, seconds=secs, samples_per_s=n / secs, forward_seconds=fwd)


# ---- (b) one distillation step ----

def distill(a, dev):
    shape = a.get("shape", "teacher")
    steps, warm = int(a.get("steps", 6)), int(a.get("warmup", 2))
    t, bs = int(a.get("seq", 128)), int(a.get("batch", 16))
    teacher = model(shape, dev, 1).eval()
    for p in teacher.parameters():
        p.requires_grad_(False)
    student = model(shape, dev, 2, ffn=SHAPES[shape][2] // 2)
    decay = [p for p in student.parameters() if p.dim() >= 2]
    no_decay = [p for p in student.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": 0.1}, {"params": no_decay, "weight_decay": 0.0}],
                            lr=1e-3, betas=(0.9, 0.95), eps=1e-8)
    g = torch.Generator().manual_seed(3)
    tokens = torch.randint(0, SHAPES[shape][0], (200_000,), generator=g)
    per = []
    for step in range(warm + steps):
        sync(dev)
        t0 = time.perf_counter()
        starts = torch.randint(0, len(tokens) - t - 1, (bs,), generator=g)
        w = torch.stack([tokens[s:s + t + 1] for s in starts.tolist()]).to(dev)
        inp, tgt = w[:, :-1], w[:, 1:]
        with torch.no_grad():
            tl = teacher(inp)
        sl = student(inp)
        ls = sl.log_softmax(-1)
        lm = -ls.gather(2, tgt.unsqueeze(2)).mean()  # logged, not optimised (clm weight 0)
        lt = tl.log_softmax(-1)
        kl = (lt.exp() * (lt - ls)).sum(-1).mean()  # forward KL at tau = 1
        kl.backward()
        torch.nn.utils.clip_grad_norm_(student.parameters(), 1.0)
        opt.step()
        opt.zero_grad(set_to_none=False)
        _ = (kl.item(), lm.item())
        sync(dev)
        per.append(time.perf_counter() - t0)
    per = per[warm:]
    secs = sum(per) / len(per)
    return dict(shape=shape, student_ffn=SHAPES[shape][2] // 2, seq=t, batch=bs, steps=steps, step_seconds=per,
                seconds=secs, tokens_per_s=bs * t / secs)


# ---- (c) Winogrande scoring of the requests dumped by the Java side ----

def score(m, reqs, max_tokens, dev):
    n = len(reqs)
    inputs = [r["context"] + r["continuation"] for r in reqs]
    order = sorted(range(n), key=lambda i: (-len(inputs[i]), i))
    out = [None] * n
    done = 0
    with torch.no_grad():
        while done < n:
            longest = len(inputs[order[done]]) - 1
            size = max(1, min(n - done, max_tokens // max(1, longest)))
            batch = order[done:done + size]
            inp = torch.zeros((size, longest), dtype=torch.long)
            tgt = torch.zeros((size, longest), dtype=torch.long)
            for r, i in enumerate(batch):
                s = inputs[i]
                inp[r, :len(s) - 1] = torch.tensor(s[:-1])
                tgt[r, :len(s) - 1] = torch.tensor(s[1:])
            logits = m(inp.to(dev))
            lp = logits.log_softmax(2).gather(2, tgt.to(dev).unsqueeze(2)).squeeze(2).cpu().numpy()
            am = logits.argmax(2).cpu().numpy()
            tg = tgt.numpy()
            for r, i in enumerate(batch):
                L, c = len(inputs[i]), len(reqs[i]["continuation"])
                sl = slice(L - 1 - c, L - 1)
                out[i] = (float(lp[r, sl].sum()), bool((am[r, sl] == tg[r, sl]).all()))
            done += size
    return out


def load_f32_safetensors(folder):
    """The f32 tensors of a safetensors checkpoint folder (one file or shards), by name."""
    out = {}
    for f in sorted(os.listdir(folder)):
        if not f.endswith(".safetensors"):
            continue
        with open(os.path.join(folder, f), "rb") as fh:
            raw = fh.read()
        hlen = int.from_bytes(raw[:8], "little")
        header = json.loads(raw[8:8 + hlen])
        for name, info in header.items():
            if name == "__metadata__":
                continue
            assert info["dtype"] == "F32", (name, info["dtype"])
            s, e = info["data_offsets"]
            arr = np.frombuffer(raw, dtype=np.float32, count=(e - s) // 4, offset=8 + hlen + s)
            out[name] = torch.from_numpy(arr.copy()).reshape(info["shape"])
    return out


def winogrande(a, dev):
    shape = a.get("shape", "teacher")
    with open(a["requests"]) as f:
        d = json.load(f)
    _, dm, ff, l, nh, nkv = SHAPES[shape]
    m = Llama(d["vocab"], dm, ff, l, nh, nkv)
    # the Java side's random weights, so that both sides score the same model
    state = {k[len("model."):] if k.startswith("model.") else k: v for k, v in load_f32_safetensors(d["weights"]).items()}
    m.load_state_dict(state, strict=True)
    m = m.to(dev).eval()
    score(m, d["requests"], d["max_batch_tokens"], dev)  # warm-up
    sync(dev)
    t0 = time.perf_counter()
    res = score(m, d["requests"], d["max_batch_tokens"], dev)
    sync(dev)
    secs = time.perf_counter() - t0
    diff = max(abs(lp - r["logprob"]) for (lp, _), r in zip(res, d["requests"]))
    greedy_differ = sum(g != r["greedy"] for (_, g), r in zip(res, d["requests"]))
    # Winogrande's prediction per item: the better of its two consecutive requests
    pred = lambda x: [int(x[2 * i + 1] > x[2 * i]) for i in range(len(x) // 2)]
    preds_differ = sum(p != q for p, q in zip(pred([lp for lp, _ in res]), pred([r["logprob"] for r in d["requests"]])))
    fed = sum(len(r["context"]) + len(r["continuation"]) - 1 for r in d["requests"])
    return dict(shape=shape, shots=int(a.get("shots", 0)), items=d["items"], requests=len(res), fed_tokens=fed,
                seconds=secs, items_per_s=d["items"] / secs, max_abs_logprob_diff=diff, greedy_differ=greedy_differ,
                predictions_differ=preds_differ)


# ---- (e) load the same bf16 safetensors file with a minimal mmap reader ----

def load(a, dev):
    path = os.path.join(a["dir"], "model.safetensors")
    t0 = time.perf_counter()
    out = {}
    with open(path, "rb") as f:
        mm = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        hlen = int.from_bytes(mm[:8], "little")
        header = json.loads(mm[8:8 + hlen])
        base = 8 + hlen
        for name, info in header.items():
            if name == "__metadata__":
                continue
            assert info["dtype"] == "BF16"
            s, e = info["data_offsets"]
            u16 = np.frombuffer(mm, dtype=np.uint16, count=(e - s) // 2, offset=base + s)
            bf = torch.from_numpy(u16.view(np.int16)).view(torch.bfloat16)  # zero-copy view of the mapping
            out[name] = bf.to(device=dev, dtype=torch.float32).reshape(info["shape"])
        del u16, bf
    secs = time.perf_counter() - t0
    params = sum(t.numel() for t in out.values())
    return dict(seconds=secs, params=params, file_bytes=os.path.getsize(path), f32_bytes=params * 4,
                peak_rss_kb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


# ---- (d) checkpoint-to-checkpoint surgery: numpy memmap -> torch.index_select -> a minimal safetensors writer ----

DTYPES = {"BF16": (torch.bfloat16, np.int16), "F16": (torch.float16, np.float16), "F32": (torch.float32, np.float32)}


def open_checkpoint(d):
    """Tensor name -> (memmap of its file, header entry, data start), for one file or a sharded index."""
    index = os.path.join(d, "model.safetensors.index.json")
    files = sorted(set(json.load(open(index))["weight_map"].values())) if os.path.exists(index) else ["model.safetensors"]
    tensors = {}
    for f in files:
        path = os.path.join(d, f)
        with open(path, "rb") as fh:
            hlen = int.from_bytes(fh.read(8), "little")
            header = json.loads(fh.read(hlen))
        mm = np.memmap(path, dtype=np.uint8, mode="r")
        for name, info in header.items():
            if name != "__metadata__":
                tensors[name] = (mm, info, 8 + hlen)
    return tensors


def mapped(tensors, name):
    """A zero-copy torch view of a stored tensor in its own dtype."""
    mm, info, base = tensors[name]
    s, e = info["data_offsets"]
    torch_dt, np_dt = DTYPES[info["dtype"]]
    return torch.from_numpy(mm[base + s:base + e].view(np_dt)).view(torch_dt).reshape(info["shape"])


def surgery_cuts(r):
    """(source, target, rows, cols) per tensor of the pruned Llama, in the order minitron4j writes them."""
    cb = r["config_before"]
    hd = cb.get("head_dim") or cb["hidden_size"] // cb["num_attention_heads"]
    ch = torch.tensor(r["kept_hidden_channels"])

    def rows(heads):
        return torch.tensor([h * hd + x for h in heads for x in range(hd)])

    cuts = [("model.embed_tokens.weight", "model.embed_tokens.weight", None, ch)]
    for i, l in enumerate(r["kept_layers"]):
        q, kv = rows(r["kept_heads"][str(l)]), rows(r["kept_kv_groups"][str(l)])
        n = torch.tensor(r["kept_neurons"][str(l)])
        s, t = f"model.layers.{l}.", f"model.layers.{i}."
        for name, rr, cc in (("input_layernorm", ch, None), ("self_attn.q_proj", q, ch), ("self_attn.k_proj", kv, ch),
                             ("self_attn.v_proj", kv, ch), ("self_attn.o_proj", ch, q),
                             ("post_attention_layernorm", ch, None), ("mlp.gate_proj", n, ch), ("mlp.up_proj", n, ch),
                             ("mlp.down_proj", ch, n)):
            cuts.append((s + name + ".weight", t + name + ".weight", rr, cc))
    cuts.append(("model.norm.weight", "model.norm.weight", ch, None))
    if not cb.get("tie_word_embeddings"):
        cuts.append(("lm_head.weight", "lm_head.weight", None, ch))
    return cuts


def write_safetensors(out, specs, max_shard=5 << 30):
    """specs: (name, dtype name, shape, nbytes, make) in order, make() giving the tensor when its turn comes; shards
    greedily at max_shard bytes like minitron4j and fsyncs each file. One pruned tensor in memory at a time."""
    shards, size = [], 0
    for spec in specs:
        if not shards or (size > 0 and size + spec[3] > max_shard):
            shards.append([])
            size = 0
        shards[-1].append(spec)
        size += spec[3]
    weight_map = {}
    for k, shard in enumerate(shards):
        fname = "model.safetensors" if len(shards) == 1 else f"model-{k + 1:05d}-of-{len(shards):05d}.safetensors"
        header, off = {"__metadata__": {"format": "pt"}}, 0
        for name, dt, shape, nbytes, _ in shard:
            header[name] = {"dtype": dt, "shape": list(shape), "data_offsets": [off, off + nbytes]}
            off += nbytes
            weight_map[name] = fname
        hb = json.dumps(header, separators=(",", ":")).encode()
        hb += b" " * (-len(hb) % 8)
        with open(os.path.join(out, fname), "wb") as f:
            f.write(len(hb).to_bytes(8, "little"))
            f.write(hb)
            for *_, make in shard:
                t = make()
                f.write(memoryview(t.view(torch.int16 if t.element_size() == 2 else torch.int32).numpy()))
            f.flush()
            os.fsync(f.fileno())
    if len(shards) > 1:
        with open(os.path.join(out, "model.safetensors.index.json"), "w") as f:
            json.dump({"metadata": {"total_size": sum(sp[3] for sp in specs)}, "weight_map": weight_map}, f, indent=2)


def surgery(a, dev):
    """The same cuts as CheckpointSurgery (kept indices from the report the Java side wrote), checkpoint to checkpoint."""
    src, out = a["dir"], a["out"]
    r = json.load(open(a["indices"]))
    t0 = time.perf_counter()
    os.makedirs(out, exist_ok=True)
    tensors = open_checkpoint(src)

    def spec(s, t, rows, cols):
        info = tensors[s][1]
        shape = list(info["shape"])
        if rows is not None:
            shape[0] = len(rows)
        if cols is not None:
            shape[-1] = len(cols)
        nbytes = math.prod(shape) * {"BF16": 2, "F16": 2, "F32": 4}[info["dtype"]]

        def make():
            x = mapped(tensors, s)
            if rows is not None:
                x = x.index_select(0, rows)
            if cols is not None:
                x = x.index_select(x.dim() - 1, cols)
            return x.contiguous()
        return t, info["dtype"], shape, nbytes, make

    write_safetensors(out, [spec(*c) for c in surgery_cuts(r)])
    cfg = dict(r["config_after"], torch_dtype="bfloat16")
    json.dump(cfg, open(os.path.join(out, "config.json"), "w"), indent=2)
    secs = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    res = dict(seconds=secs, peak_rss_kb=peak, params=r["parameters_before"], pruned_params=r["parameters_after"],
               source_bytes=sum(os.path.getsize(os.path.join(src, f)) for f in os.listdir(src) if f.endswith(".safetensors")))
    if a.get("compare"):  # the Java output: same headers, and the same bytes for every tensor of the first and last layer
        mine, theirs = open_checkpoint(out), open_checkpoint(a["compare"])
        last = r["config_after"]["num_hidden_layers"] - 1
        names = [n for n in mine if not n.startswith("model.layers.") or n.startswith(("model.layers.0.", f"model.layers.{last}."))]
        same = mine.keys() == theirs.keys() and all(mine[n][1] == theirs[n][1] for n in mine) and all(
            torch.equal(mapped(mine, n).view(torch.int16), mapped(theirs, n).view(torch.int16)) for n in names)
        res.update(matches_minitron4j=bool(same), compared_tensors=len(names))
    return res


def main():
    name = sys.argv[1]
    a = dict(kv.split("=", 1) for kv in sys.argv[2:])
    threads = int(a.get("threads", os.cpu_count()))
    torch.set_num_threads(threads)
    dev = torch.device(a.get("device", "cpu"))
    res = {"bench": name, "side": "pytorch", "device": str(dev), "threads": threads, "torch": torch.__version__}
    res.update({"calib": calib, "distill": distill, "winogrande": winogrande, "load": load, "surgery": surgery}[name](a, dev))
    res["load_avg"] = os.getloadavg()[0]
    print(json.dumps(res), flush=True)


if __name__ == "__main__":
    main()
