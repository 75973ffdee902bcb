#!/usr/bin/python3
"""Independent float64 PyTorch reference for Hugging Face decoder-only models, plus the
fixture generator for minitron4j's Java tests.

Usage:
    /usr/bin/python3 library/src/test/python/hf_reference.py --out library/src/test/resources/fixtures

Only torch (>= 1.13) and numpy are needed; safetensors is written/read by hand below.
Everything is deterministic (fixed seeds), so regenerating yields byte-identical files
on the same torch version.

Semantics follow Hugging Face transformers (LlamaForCausalLM, MistralForCausalLM,
Qwen2ForCausalLM, NemotronForCausalLM, GPT2LMHeadModel). The reference is computed in
float64 from the weights AS STORED (i.e. after rounding to bf16 / f16), so dtype rounding
is not an error source for a consumer that upcasts the stored weights exactly.
"""
import argparse
import json
import math
import os
import shutil
import struct

import numpy as np
import torch
import torch.nn.functional as F

F64 = torch.float64
DTYPES = {"float32": torch.float32, "float16": torch.float16, "bfloat16": torch.bfloat16}
ST_DTYPE = {torch.float32: "F32", torch.float16: "F16", torch.bfloat16: "BF16"}
ST_DTYPE_INV = {v: k for k, v in ST_DTYPE.items()}


# ----------------------------------------------------------------------------------------
# safetensors (hand-written writer / reader)
# ----------------------------------------------------------------------------------------

def _tensor_bytes(t):
    t = t.detach().contiguous().cpu()
    if t.dtype == torch.bfloat16:
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    if t.dtype == torch.float16:
        return t.numpy().astype("<f2").tobytes()
    if t.dtype == torch.float32:
        return t.numpy().astype("<f4").tobytes()
    raise ValueError(t.dtype)


def write_safetensors(path, tensors, metadata=None):
    """tensors: ordered dict name -> torch tensor (f32/f16/bf16). Data laid out in dict order."""
    header = {"__metadata__": metadata or {"format": "pt"}}
    blobs, off = [], 0
    for name, t in tensors.items():
        b = _tensor_bytes(t)
        header[name] = {"dtype": ST_DTYPE[t.dtype], "shape": list(t.shape),
                        "data_offsets": [off, off + len(b)]}
        blobs.append(b)
        off += len(b)
    h = json.dumps(header, separators=(",", ":")).encode("utf-8")
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    return off


def read_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n].decode("utf-8"))
    data = raw[8 + n:]
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        dt = ST_DTYPE_INV[info["dtype"]]
        buf = data[b:e]
        if dt == torch.bfloat16:
            arr = np.frombuffer(buf, dtype="<i2").copy()
            t = torch.from_numpy(arr).view(torch.bfloat16)
        elif dt == torch.float16:
            t = torch.from_numpy(np.frombuffer(buf, dtype="<f2").copy())
        else:
            t = torch.from_numpy(np.frombuffer(buf, dtype="<f4").copy())
        out[name] = t.reshape(info["shape"])
    return out


# ----------------------------------------------------------------------------------------
# Reference math (float64)
# ----------------------------------------------------------------------------------------

def rms_norm(x, w, eps):
    # HF LlamaRMSNorm: x * rsqrt(mean(x^2) + eps) * w (HF does it in fp32; we do fp64)
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def layer_norm(x, w, b, eps):
    mu = x.mean(-1, keepdim=True)
    var = (x - mu).pow(2).mean(-1, keepdim=True)  # biased variance, like torch LayerNorm
    return (x - mu) / torch.sqrt(var + eps) * w + b


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


def llama3_scale_inv_freq(inv_freq, rs):
    factor = rs["factor"]
    low = rs["low_freq_factor"]
    high = rs["high_freq_factor"]
    orig = rs["original_max_position_embeddings"]
    low_freq_wavelen = orig / low
    high_freq_wavelen = orig / high
    out = []
    for f in inv_freq.tolist():
        wavelen = 2 * math.pi / f
        if wavelen > low_freq_wavelen:
            out.append(f / factor)
        elif wavelen < high_freq_wavelen:
            out.append(f)
        else:
            smooth = (orig / wavelen - low) / (high - low)
            out.append((1 - smooth) * f / factor + smooth * f)
    return torch.tensor(out, dtype=F64)


def rope_inv_freq(rot_dim, theta, rope_scaling):
    i = torch.arange(0, rot_dim, 2, dtype=F64)
    inv_freq = 1.0 / (theta ** (i / rot_dim))
    if rope_scaling is not None:
        rt = rope_scaling.get("rope_type", rope_scaling.get("type"))
        if rt == "llama3":
            inv_freq = llama3_scale_inv_freq(inv_freq, rope_scaling)
        elif rt != "default":
            raise ValueError("unsupported rope_type " + str(rt))
    return inv_freq


def rope_cos_sin(inv_freq, T):
    pos = torch.arange(T, dtype=F64)
    freqs = torch.outer(pos, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)  # HF convention: duplicated halves
    return emb.cos(), emb.sin()


def apply_rope(x, cos, sin):
    """x: [B, H, T, D]; rotary applied to the first cos.shape[-1] dims (partial rotary)."""
    r = cos.shape[-1]
    xr, xp = x[..., :r], x[..., r:]
    xr = xr * cos + rotate_half(xr) * sin
    return torch.cat((xr, xp), dim=-1)


def causal_attention(q, k, v):
    """q: [B,H,T,D], k/v: [B,KV,T,D]; kv head j serves query heads j*g .. j*g+g-1."""
    H, KV, T, D = q.shape[1], k.shape[1], q.shape[2], q.shape[3]
    g = H // KV
    k = k.repeat_interleave(g, dim=1)
    v = v.repeat_interleave(g, dim=1)
    s = q @ k.transpose(-1, -2) / math.sqrt(D)
    mask = torch.ones(T, T, dtype=torch.bool).triu(1)
    s = s.masked_fill(mask, float("-inf"))
    p = torch.softmax(s, dim=-1)
    return p @ v


def llama_family_forward(cfg, W, ids):
    """LlamaForCausalLM / MistralForCausalLM / Qwen2ForCausalLM / NemotronForCausalLM.
    ids: LongTensor [B, T] -> logits [B, T, V] (float64)."""
    mt = cfg["model_type"]
    B, T = ids.shape
    hidden = cfg["hidden_size"]
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    D = cfg.get("head_dim") or hidden // H
    L = cfg["num_hidden_layers"]
    nemotron = mt == "nemotron"
    rot_dim = int(D * cfg.get("partial_rotary_factor", 1.0)) if nemotron else D
    inv = rope_inv_freq(rot_dim, cfg.get("rope_theta", 10000.0), cfg.get("rope_scaling"))
    cos, sin = rope_cos_sin(inv, T)

    def norm(x, prefix):
        if nemotron:  # LayerNorm1P: weight + 1
            return layer_norm(x, W[prefix + ".weight"] + 1.0, W[prefix + ".bias"], cfg["norm_eps"])
        return rms_norm(x, W[prefix + ".weight"], cfg["rms_norm_eps"])

    def lin(x, prefix):
        y = x @ W[prefix + ".weight"].T
        if prefix + ".bias" in W:
            y = y + W[prefix + ".bias"]
        return y

    x = W["model.embed_tokens.weight"][ids]
    for i in range(L):
        p = "model.layers.%d." % i
        h = norm(x, p + "input_layernorm")
        q = lin(h, p + "self_attn.q_proj").view(B, T, H, D).transpose(1, 2)
        k = lin(h, p + "self_attn.k_proj").view(B, T, KV, D).transpose(1, 2)
        v = lin(h, p + "self_attn.v_proj").view(B, T, KV, D).transpose(1, 2)
        q = apply_rope(q, cos, sin)
        k = apply_rope(k, cos, sin)
        a = causal_attention(q, k, v).transpose(1, 2).reshape(B, T, H * D)
        x = x + lin(a, p + "self_attn.o_proj")
        h = norm(x, p + "post_attention_layernorm")
        if nemotron:
            assert cfg["hidden_act"] == "relu2"
            m = lin(torch.relu(lin(h, p + "mlp.up_proj")).pow(2), p + "mlp.down_proj")
        else:
            assert cfg["hidden_act"] == "silu"
            m = lin(F.silu(lin(h, p + "mlp.gate_proj")) * lin(h, p + "mlp.up_proj"), p + "mlp.down_proj")
        x = x + m
    x = norm(x, "model.norm")
    head = W["model.embed_tokens.weight"] if cfg["tie_word_embeddings"] else W["lm_head.weight"]
    return x @ head.T


def gelu_new(x):
    return 0.5 * x * (1.0 + torch.tanh(math.sqrt(2.0 / math.pi) * (x + 0.044715 * x.pow(3))))


def gpt2_forward(cfg, W, ids):
    B, T = ids.shape
    E, H = cfg["n_embd"], cfg["n_head"]
    D = E // H
    eps = cfg["layer_norm_epsilon"]
    assert cfg["activation_function"] == "gelu_new"
    pos = torch.arange(T)
    x = W["transformer.wte.weight"][ids] + W["transformer.wpe.weight"][pos]

    def conv1d(x, prefix):  # HF Conv1D: weight [in, out]; y = x @ W + b
        return x @ W[prefix + ".weight"] + W[prefix + ".bias"]

    for i in range(cfg["n_layer"]):
        p = "transformer.h.%d." % i
        h = layer_norm(x, W[p + "ln_1.weight"], W[p + "ln_1.bias"], eps)
        qkv = conv1d(h, p + "attn.c_attn")
        q, k, v = qkv.split(E, dim=-1)
        q, k, v = (t.view(B, T, H, D).transpose(1, 2) for t in (q, k, v))
        a = causal_attention(q, k, v).transpose(1, 2).reshape(B, T, E)
        x = x + conv1d(a, p + "attn.c_proj")
        h = layer_norm(x, W[p + "ln_2.weight"], W[p + "ln_2.bias"], eps)
        x = x + conv1d(gelu_new(conv1d(h, p + "mlp.c_fc")), p + "mlp.c_proj")
    x = layer_norm(x, W["transformer.ln_f.weight"], W["transformer.ln_f.bias"], eps)
    return x @ W["transformer.wte.weight"].T


def forward(cfg, W, ids):
    if cfg["model_type"] == "gpt2":
        return gpt2_forward(cfg, W, ids)
    return llama_family_forward(cfg, W, ids)


# ----------------------------------------------------------------------------------------
# Random weights
# ----------------------------------------------------------------------------------------

def make_weights(cfg, seed):
    """Ordered dict name -> float32 tensor, HF names and layouts (nn.Linear: [out, in])."""
    g = torch.Generator().manual_seed(seed)

    def rnd(*shape, std):
        return torch.randn(*shape, generator=g, dtype=torch.float32) * std

    def lin_w(out_f, in_f):  # ~1/sqrt(fan_in): keeps activations O(1) so attention is peaky
        return rnd(out_f, in_f, std=1.0 / math.sqrt(in_f))

    W = {}
    mt = cfg["model_type"]
    if mt == "gpt2":
        E, V, P = cfg["n_embd"], cfg["vocab_size"], cfg["n_positions"]
        I = cfg["n_inner"] or 4 * E
        W["transformer.wte.weight"] = rnd(V, E, std=0.3)
        W["transformer.wpe.weight"] = rnd(P, E, std=0.3)
        for i in range(cfg["n_layer"]):
            p = "transformer.h.%d." % i
            W[p + "ln_1.weight"] = 1.0 + rnd(E, std=0.1)
            W[p + "ln_1.bias"] = rnd(E, std=0.05)
            W[p + "attn.c_attn.weight"] = lin_w(3 * E, E).T.contiguous()  # Conv1D [in, out]
            W[p + "attn.c_attn.bias"] = rnd(3 * E, std=0.05)
            W[p + "attn.c_proj.weight"] = lin_w(E, E).T.contiguous()
            W[p + "attn.c_proj.bias"] = rnd(E, std=0.05)
            W[p + "ln_2.weight"] = 1.0 + rnd(E, std=0.1)
            W[p + "ln_2.bias"] = rnd(E, std=0.05)
            W[p + "mlp.c_fc.weight"] = lin_w(I, E).T.contiguous()
            W[p + "mlp.c_fc.bias"] = rnd(I, std=0.05)
            W[p + "mlp.c_proj.weight"] = lin_w(E, I).T.contiguous()
            W[p + "mlp.c_proj.bias"] = rnd(E, std=0.05)
        W["transformer.ln_f.weight"] = 1.0 + rnd(E, std=0.1)
        W["transformer.ln_f.bias"] = rnd(E, std=0.05)
        return W

    hidden, V = cfg["hidden_size"], cfg["vocab_size"]
    H = cfg["num_attention_heads"]
    KV = cfg.get("num_key_value_heads") or H
    D = cfg.get("head_dim") or hidden // H
    I = cfg["intermediate_size"]
    nemotron = mt == "nemotron"
    qkv_bias = mt == "qwen2" or cfg.get("attention_bias", False)

    def norm_params(prefix):
        if nemotron:  # LayerNorm1P stores (weight - 1): effective weight = w + 1
            W[prefix + ".weight"] = rnd(hidden, std=0.1)
            W[prefix + ".bias"] = rnd(hidden, std=0.05)
        else:
            W[prefix + ".weight"] = 1.0 + rnd(hidden, std=0.1)

    W["model.embed_tokens.weight"] = rnd(V, hidden, std=0.3 if cfg["tie_word_embeddings"] else 1.0)
    for i in range(cfg["num_hidden_layers"]):
        p = "model.layers.%d." % i
        norm_params(p + "input_layernorm")
        W[p + "self_attn.q_proj.weight"] = lin_w(H * D, hidden)
        if qkv_bias:
            W[p + "self_attn.q_proj.bias"] = rnd(H * D, std=0.1)
        W[p + "self_attn.k_proj.weight"] = lin_w(KV * D, hidden)
        if qkv_bias:
            W[p + "self_attn.k_proj.bias"] = rnd(KV * D, std=0.1)
        W[p + "self_attn.v_proj.weight"] = lin_w(KV * D, hidden)
        if qkv_bias:
            W[p + "self_attn.v_proj.bias"] = rnd(KV * D, std=0.1)
        W[p + "self_attn.o_proj.weight"] = lin_w(hidden, H * D)
        norm_params(p + "post_attention_layernorm")
        if not nemotron:
            W[p + "mlp.gate_proj.weight"] = lin_w(I, hidden)
        W[p + "mlp.up_proj.weight"] = lin_w(I, hidden)
        W[p + "mlp.down_proj.weight"] = lin_w(hidden, I)
    norm_params("model.norm")
    if not cfg["tie_word_embeddings"]:
        W["lm_head.weight"] = lin_w(V, hidden)
    return W


# ----------------------------------------------------------------------------------------
# Configs (realistic HF key sets)
# ----------------------------------------------------------------------------------------

def llama_cfg():
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": 48, "intermediate_size": 128, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
        "max_position_embeddings": 512, "rms_norm_eps": 1e-5, "rope_theta": 500000.0,
        "rope_scaling": {"rope_type": "llama3", "factor": 8.0, "low_freq_factor": 1.0,
                         "high_freq_factor": 4.0, "original_max_position_embeddings": 64},
        "tie_word_embeddings": False, "bos_token_id": 1, "eos_token_id": 2, "vocab_size": 128,
        "torch_dtype": "bfloat16", "hidden_act": "silu", "attention_bias": False,
        "attention_dropout": 0.0, "mlp_bias": False, "initializer_range": 0.02,
        "pretraining_tp": 1, "use_cache": True, "transformers_version": "4.44.0",
    }


def llama_tied_cfg(vocab_size):
    return {
        "architectures": ["LlamaForCausalLM"], "model_type": "llama",
        "hidden_size": 32, "intermediate_size": 96, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 4,
        "max_position_embeddings": 256, "rms_norm_eps": 1e-6, "rope_theta": 10000.0,
        "rope_scaling": None, "tie_word_embeddings": True, "bos_token_id": 1, "eos_token_id": 2,
        "vocab_size": vocab_size, "torch_dtype": "float32", "hidden_act": "silu",
        "attention_bias": False, "attention_dropout": 0.0, "mlp_bias": False,
        "initializer_range": 0.02, "pretraining_tp": 1, "use_cache": True,
        "transformers_version": "4.44.0",
    }


def mistral_cfg():
    return {
        "architectures": ["MistralForCausalLM"], "model_type": "mistral",
        "hidden_size": 64, "intermediate_size": 160, "num_hidden_layers": 2,
        "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 8,
        "max_position_embeddings": 1024, "rms_norm_eps": 1e-5, "rope_theta": 1000000.0,
        "sliding_window": None, "tie_word_embeddings": False, "bos_token_id": 1,
        "eos_token_id": 2, "vocab_size": 100, "torch_dtype": "float16", "hidden_act": "silu",
        "attention_dropout": 0.0, "initializer_range": 0.02, "use_cache": True,
        "transformers_version": "4.44.0",
    }


def qwen2_cfg():
    return {
        "architectures": ["Qwen2ForCausalLM"], "model_type": "qwen2",
        "hidden_size": 32, "intermediate_size": 80, "num_hidden_layers": 3,
        "num_attention_heads": 4, "num_key_value_heads": 2,
        "max_position_embeddings": 512, "max_window_layers": 3, "rms_norm_eps": 1e-6,
        "rope_theta": 1000000.0, "rope_scaling": None, "sliding_window": None,
        "use_sliding_window": False, "tie_word_embeddings": True, "bos_token_id": 150,
        "eos_token_id": 151, "vocab_size": 152, "torch_dtype": "float32", "hidden_act": "silu",
        "attention_dropout": 0.0, "initializer_range": 0.02, "use_cache": True,
        "transformers_version": "4.44.0",
    }


def nemotron_cfg():
    return {
        "architectures": ["NemotronForCausalLM"], "model_type": "nemotron",
        "hidden_size": 48, "intermediate_size": 144, "num_hidden_layers": 2,
        "num_attention_heads": 4, "num_key_value_heads": 2, "head_dim": 16,
        "max_position_embeddings": 512, "norm_eps": 1e-5, "rope_theta": 10000.0,
        "rope_scaling": None, "partial_rotary_factor": 0.5, "tie_word_embeddings": False,
        "bos_token_id": 2, "eos_token_id": 3, "vocab_size": 96, "torch_dtype": "float32",
        "hidden_act": "relu2", "attention_bias": False, "attention_dropout": 0.0,
        "mlp_bias": False, "initializer_range": 0.0134, "use_cache": True,
        "transformers_version": "4.44.0",
    }


def gpt2_cfg():
    return {
        "architectures": ["GPT2LMHeadModel"], "model_type": "gpt2",
        "n_embd": 48, "n_layer": 2, "n_head": 4, "n_positions": 128, "n_ctx": 128,
        "n_inner": None, "activation_function": "gelu_new", "layer_norm_epsilon": 1e-5,
        "vocab_size": 100, "bos_token_id": 98, "eos_token_id": 99, "tie_word_embeddings": True,
        "attn_pdrop": 0.1, "embd_pdrop": 0.1, "resid_pdrop": 0.1, "initializer_range": 0.02,
        "scale_attn_weights": True, "scale_attn_by_inverse_layer_idx": False,
        "reorder_and_upcast_attn": False, "summary_activation": None,
        "summary_first_dropout": 0.1, "summary_proj_to_labels": True,
        "summary_type": "cls_index", "summary_use_proj": True, "use_cache": True,
        "torch_dtype": "float32", "transformers_version": "4.44.0",
    }


# ----------------------------------------------------------------------------------------
# Evaluation helpers
# ----------------------------------------------------------------------------------------

def nll_sum(cfg, W, inputs, targets):
    logits = forward(cfg, W, torch.tensor([inputs]))[0]
    lp = torch.log_softmax(logits, dim=-1)
    return -lp[torch.arange(len(targets)), torch.tensor(targets)].sum().item()


def windowed_eval(cfg, W, stream, L):
    """Windows start at 0, L, 2L, ...; inputs t[s .. min(s+L,N-1)-1], targets shifted by one."""
    N = len(stream)
    total, scored, s = 0.0, 0, 0
    while s < N - 1:
        e = min(s + L, N - 1)
        total += nll_sum(cfg, W, stream[s:e], stream[s + 1:e + 1])
        scored += e - s
        s += L
    assert scored == N - 1
    return {"seq_len": L, "loss": total / scored, "tokens_scored": scored}


def harness_rolling_windows(token_list, prefix_token, max_seq_len):
    """lm-evaluation-harness v0.4 utils.get_rolling_token_windows(context_len=1) + make_disjoint_window, as written there:
    (context, continuation) pairs that predict every token of token_list once, the first from prefix_token."""
    if not token_list:
        return
    context_len = 1
    pred_len = max_seq_len - context_len + 1
    predicted = 0
    first_seq_len = min(max_seq_len, len(token_list))
    windows = [([prefix_token] + token_list[:first_seq_len - 1], token_list[:first_seq_len])]
    predicted += first_seq_len
    while predicted < len(token_list):
        window_pred_len = min(len(token_list) - predicted, pred_len)
        window_end = predicted + window_pred_len
        windows.append((token_list[window_end - max_seq_len - 1:window_end - 1],
                        token_list[window_end - window_pred_len:window_end]))
        predicted += window_pred_len
    for a, b in windows:
        yield a[:len(a) - (len(b) - 1)], b  # make_disjoint_window


def documents_eval(cfg, W, docs, L):
    """Documents scored apart as the harness's loglikelihood_rolling: per document, the tokens after its BOS are
    predicted in rolling windows, BOS as the prefix token; nothing appended. Feeds (context + continuation)[:-1] and
    scores the last len(continuation) positions, as _loglikelihood_tokens."""
    total, scored = 0.0, 0
    for doc in docs:
        for ctx, cont in harness_rolling_windows(doc[1:], doc[0], L):
            full = ctx + cont
            n = len(cont)
            logits = forward(cfg, W, torch.tensor([full[:-1]]))[0][-n:]
            lp = torch.log_softmax(logits, dim=-1)
            total -= lp[torch.arange(n), torch.tensor(cont)].sum().item()
            scored += n
    assert scored == sum(len(d) - 1 for d in docs)
    return {"seq_len": L, "loss": total / scored, "tokens_scored": scored, "documents": len(docs)}


def greedy(cfg, W, prompt, n):
    ids, margins = list(prompt), []
    for _ in range(n):
        logits = forward(cfg, W, torch.tensor([ids]))[0, -1]
        top = torch.topk(logits, 2).values
        margins.append((top[0] - top[1]).item())
        ids.append(int(torch.argmax(logits)))
    return ids[len(prompt):], min(margins)


def token_stream(V, N, seed):
    """Random-ish stream: uniform ids mixed with copies of earlier fragments (ids < V)."""
    rng = np.random.RandomState(seed)
    out = []
    while len(out) < N:
        if len(out) > 8 and rng.rand() < 0.3:
            a = rng.randint(0, len(out) - 4)
            out.extend(out[a:a + rng.randint(3, 8)])
        else:
            out.extend(rng.randint(0, V, size=rng.randint(2, 6)).tolist())
    return out[:N]


def reference(cfg, W, seed, logits_positions=10):
    V = cfg["vocab_size"]
    g = torch.Generator().manual_seed(seed + 1000)
    ids = torch.randint(0, V, (2, 24), generator=g)
    logits = forward(cfg, W, ids)
    B, T, _ = logits.shape
    lp = torch.log_softmax(logits[:, :-1], dim=-1)
    nll = -lp.gather(-1, ids[:, 1:].unsqueeze(-1)).squeeze(-1)  # [B, T-1]
    pos = [[0, 0], [0, T - 1], [1, 0], [1, T - 1]]
    while len(pos) < logits_positions:
        p = [int(torch.randint(0, B, (1,), generator=g)), int(torch.randint(0, T, (1,), generator=g))]
        if p not in pos:
            pos.append(p)
    cont, margin = greedy(cfg, W, ids[0, :5].tolist(), 8)
    return {
        "input_ids": ids.tolist(),
        "logits_sample": {"positions": pos, "values": [logits[b, t].tolist() for b, t in pos]},
        "logits_sum": logits.sum().item(),
        "loss": nll.mean().item(),
        "per_sequence_loss": nll.mean(-1).tolist(),
        "greedy_prompt": ids[0, :5].tolist(),
        "greedy_continuation": cont,
        "greedy_min_top2_margin": margin,
    }


# ----------------------------------------------------------------------------------------
# Word-level tokenizer fixture
# ----------------------------------------------------------------------------------------

WORDS = ("the a an and or but of to in on at with from by for is was are were be been it "
         "this that these cat dog bird fish tree house river mountain city road sun moon star "
         "sky water fire stone small big old new red green blue quick slow runs jumps sleeps "
         "sees eats walks over under near far").split()

SAMPLE_DOCS = [
    "the quick red cat jumps over the small dog\nand the dog sleeps under the old tree",
    "a big bird sees the blue river near the mountain\nthe river runs to the city",
    "the sun and the moon are in the sky\nit was a new star\nthat star is far from the water",
    "an old fish eats with the green zebra by the stone house",  # 'zebra' is OOV -> <unk>
]


def tokenizer_json(vocab):
    special = ["<unk>", "<s>", "</s>"]
    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": vocab[s], "content": s, "single_word": False, "lstrip": False,
                          "rstrip": False, "normalized": False, "special": True} for s in special],
        "normalizer": None,
        "pre_tokenizer": {"type": "WhitespaceSplit"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                       {"Sequence": {"id": "A", "type_id": 0}}],
            "pair": [{"SpecialToken": {"id": "<s>", "type_id": 0}},
                     {"Sequence": {"id": "A", "type_id": 0}},
                     {"SpecialToken": {"id": "<s>", "type_id": 1}},
                     {"Sequence": {"id": "B", "type_id": 1}}],
            "special_tokens": {"<s>": {"id": "<s>", "ids": [vocab["<s>"]], "tokens": ["<s>"]}},
        },
        "decoder": None,
        "model": {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"},
    }


def simple_tokenize(text, vocab):
    return [vocab["<s>"]] + [vocab.get(w, vocab["<unk>"]) for w in text.split()]


# ----------------------------------------------------------------------------------------
# Fixture writing
# ----------------------------------------------------------------------------------------

def dump_json(path, obj, indent=None):
    with open(path, "w") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")


def write_model(out_dir, name, cfg, seed, extra=None):
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    stored_dtype = DTYPES[cfg["torch_dtype"]]
    stored = {k: v.to(stored_dtype) for k, v in make_weights(cfg, seed).items()}
    write_safetensors(os.path.join(d, "model.safetensors"), stored)
    back = read_safetensors(os.path.join(d, "model.safetensors"))
    assert list(back) == list(stored)
    for k in stored:
        assert back[k].dtype == stored[k].dtype and torch.equal(back[k], stored[k]), k
    W = {k: v.to(F64) for k, v in back.items()}
    dump_json(os.path.join(d, "config.json"), cfg, indent=2)
    dump_json(os.path.join(d, "generation_config.json"),
              {"bos_token_id": cfg["bos_token_id"], "eos_token_id": cfg["eos_token_id"]}, indent=2)

    ref = reference(cfg, W, seed)
    stream = token_stream(cfg["vocab_size"], 300, seed + 7)
    np.asarray(stream, dtype="<u2").tofile(os.path.join(d, "tokens.bin"))
    np.save(os.path.join(d, "tokens.npy"), np.asarray(stream, dtype="<i4"))
    ref["file_eval"] = windowed_eval(cfg, W, stream, 64)
    if extra:
        ref.update(extra(cfg, W))
    dump_json(os.path.join(d, "reference.json"), ref)
    return d, stored, W, ref


def write_sharded(out_dir, src_dir, name, stored):
    d = os.path.join(out_dir, name)
    os.makedirs(d, exist_ok=True)
    names = list(stored)
    first = [n for n in names if n.startswith("model.embed_tokens") or n.startswith("model.layers.0.")]
    second = [n for n in names if n not in first]
    files = ["model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"]
    total, wmap = 0, {}
    for fn, part in zip(files, (first, second)):
        total += write_safetensors(os.path.join(d, fn), {n: stored[n] for n in part})
        for n in part:
            wmap[n] = fn
    dump_json(os.path.join(d, "model.safetensors.index.json"),
              {"metadata": {"total_size": total}, "weight_map": dict(sorted(wmap.items()))}, indent=2)
    for f in ("config.json", "generation_config.json", "reference.json"):
        shutil.copy(os.path.join(src_dir, f), os.path.join(d, f))


def float32_check(cfg, W, ref):
    """How far a float32 evaluation of the same math lands from the float64 reference."""
    W32 = {k: v.to(torch.float32) for k, v in W.items()}
    global F64
    saved = F64
    F64 = torch.float32
    try:
        ids = torch.tensor(ref["input_ids"])
        l32 = forward(cfg, W32, ids).to(torch.float64)
    finally:
        F64 = saved
    l64 = forward(cfg, W, ids)
    return (l32 - l64).abs().max().item()


def sensitivity(cfg, W, ref):
    """Max |delta logits| for a few typical implementation bugs (should be >> 1e-4)."""
    ids = torch.tensor(ref["input_ids"])
    base = forward(cfg, W, ids)
    out = {}
    global rotate_half, causal_attention
    orig_rh, orig_ca = rotate_half, causal_attention

    def interleaved(x):  # GPT-J style pairs instead of HF halves
        x1, x2 = x[..., ::2], x[..., 1::2]
        return torch.stack((-x2, x1), dim=-1).flatten(-2)

    def tiled(q, k, v):  # wrong GQA mapping: repeat (tile) instead of repeat_interleave
        return _tiled(q, k, v, q.shape[1] // k.shape[1])

    def _tiled(q, k, v, r):
        k2, v2 = k.repeat(1, r, 1, 1), v.repeat(1, r, 1, 1)
        D = q.shape[-1]
        T = q.shape[2]
        s = q @ k2.transpose(-1, -2) / math.sqrt(D)
        s = s.masked_fill(torch.ones(T, T, dtype=torch.bool).triu(1), float("-inf"))
        return torch.softmax(s, -1) @ v2

    try:
        if cfg["model_type"] != "gpt2":
            rotate_half = interleaved
            out["interleaved_rope"] = (forward(cfg, W, ids) - base).abs().max().item()
            rotate_half = orig_rh
            kv = cfg.get("num_key_value_heads") or cfg["num_attention_heads"]
            if kv < cfg["num_attention_heads"]:
                causal_attention = tiled
                out["gqa_tiled"] = (forward(cfg, W, ids) - base).abs().max().item()
                causal_attention = orig_ca
            if cfg.get("rope_scaling"):
                c2 = dict(cfg, rope_scaling=None)
                out["no_rope_scaling"] = (forward(c2, W, ids) - base).abs().max().item()
            if cfg.get("partial_rotary_factor"):
                c2 = dict(cfg, partial_rotary_factor=1.0)
                out["full_rotary"] = (forward(c2, W, ids) - base).abs().max().item()
    finally:
        rotate_half, causal_attention = orig_rh, orig_ca
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="library/src/test/resources/fixtures")
    ap.add_argument("--checks", action="store_true", help="print float32 / bug-sensitivity checks")
    args = ap.parse_args()
    torch.set_num_threads(1)
    out = args.out
    os.makedirs(out, exist_ok=True)

    # word-level tokenizer
    vocab = {"<unk>": 0, "<s>": 1, "</s>": 2}
    for w in WORDS:
        vocab[w] = len(vocab)
    assert len(set(WORDS)) == len(WORDS)
    tdir = os.path.join(out, "wordlevel_tokenizer")
    os.makedirs(tdir, exist_ok=True)
    dump_json(os.path.join(tdir, "tokenizer.json"), tokenizer_json(vocab), indent=2)
    with open(os.path.join(tdir, "sample.txt"), "w") as f:
        f.write("\n\n".join(SAMPLE_DOCS) + "\n")
    with open(os.path.join(tdir, "sample.txt")) as f:
        docs = [dd for dd in f.read().split("\n\n") if dd.strip()]
    expected = [simple_tokenize(dd, vocab) for dd in docs]
    dump_json(os.path.join(tdir, "expected_ids.json"), expected)
    text_stream = [i for doc in expected for i in doc + [vocab["</s>"]]]

    def text_eval(cfg, W):
        return {"text_eval": windowed_eval(cfg, W, text_stream, 16),
                "text_eval_documents": documents_eval(cfg, W, expected, 16)}

    models = [
        ("llama", llama_cfg(), 11, None),
        ("llama_tied", llama_tied_cfg(len(vocab)), 22, text_eval),
        ("mistral", mistral_cfg(), 33, None),
        ("qwen2", qwen2_cfg(), 44, None),
        ("nemotron", nemotron_cfg(), 55, None),
        ("gpt2", gpt2_cfg(), 66, None),
    ]
    for name, cfg, seed, extra in models:
        d, stored, W, ref = write_model(out, name, cfg, seed, extra)
        if name == "llama":
            write_sharded(out, d, "llama_sharded", stored)
        if name == "llama_tied":
            shutil.copy(os.path.join(tdir, "tokenizer.json"), os.path.join(d, "tokenizer.json"))
        msg = "%-10s loss=%.4f file_loss=%.4f greedy=%s margin=%.3g" % (
            name, ref["loss"], ref["file_eval"]["loss"], ref["greedy_continuation"],
            ref["greedy_min_top2_margin"])
        if args.checks:
            msg += " f32_maxdiff=%.2e bugs=%s" % (float32_check(cfg, W, ref),
                                                  {k: round(v, 4) for k, v in sensitivity(cfg, W, ref).items()})
        print(msg, flush=True)


if __name__ == "__main__":
    main()
