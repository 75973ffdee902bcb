#!/usr/bin/python3
"""Winogrande reference with lm-evaluation-harness (v0.4) semantics on the `llama_tied` fixture.

Independent of the Java code: the tokenizer is re-implemented from tokenizer.json (WordLevel +
WhitespaceSplit, called without special tokens as the harness does for loglikelihood requests), and
the model is the float64 re-implementation in hf_reference.py.

Writes, under <fixtures>/winogrande/:
  dev.jsonl      ~60 items in the original schema {"qID","sentence","option1","option2","answer"}
  fewshot.jsonl  10 labeled items the 2-shot prefixes are drawn from
  expected.json  per-item log-probs, predictions, acc/acc_stderr (zero-shot), and the 2-shot variant
                 with the exact prefix string used for every item

Harness semantics (lm_eval/tasks/winogrande + HFLM):
  idx = sentence.index("_"); choices = [sentence[:idx] + option1, sentence[:idx] + option2]
  target = sentence[idx+1:].strip(); request = (fewshot_prefix + choice, " " + target)
  _encode_pair: trailing whitespace of the context moves to the continuation; context_enc =
  tok(context); continuation_enc = tok(context + continuation)[len(context_enc):]
  score = sum of log-softmax over the last len(continuation_enc) positions of the model fed
  (context_enc + continuation_enc)[:-1]; prediction = argmax (first wins ties); acc = mean;
  acc_stderr = stdev(ddof=1) / sqrt(n).
  Few-shot example (ContextSampler): choices[gold] + " " + target; examples joined by "\n\n" and
  followed by "\n\n" (fewshot_delimiter), then the item's choice.

Run: /usr/bin/python3 library/src/test/python/winogrande_reference.py --fixtures library/src/test/resources/fixtures
"""

import argparse
import json
import math
import os
import random
import sys

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hf_reference as ref  # noqa: E402


# ----------------------------------------------------------------------------------------
# Tokenizer (from tokenizer.json), encode(text, add_special_tokens=False)
# ----------------------------------------------------------------------------------------

class WordLevelTokenizer:
    def __init__(self, path):
        with open(path) as f:
            tj = json.load(f)
        assert tj["model"]["type"] == "WordLevel", tj["model"]["type"]
        assert tj["pre_tokenizer"]["type"] == "WhitespaceSplit", tj["pre_tokenizer"]
        assert tj["normalizer"] is None
        self.vocab = tj["model"]["vocab"]
        self.unk = self.vocab[tj["model"]["unk_token"]]
        self.special = {t["content"] for t in tj["added_tokens"]}

    def encode(self, text):
        # Added (special) tokens are matched in raw text by HF tokenizers even without
        # add_special_tokens; the fixture text never contains them glued to other characters, so a
        # whitespace split gives the same ids. Guard that assumption.
        for s in self.special:
            for w in text.split():
                assert s not in w or s == w, (s, text)
        return [self.vocab.get(w, self.unk) for w in text.split()]


# ----------------------------------------------------------------------------------------
# Harness semantics
# ----------------------------------------------------------------------------------------

def partial_split(sentence, option1, option2):
    idx = sentence.index("_")
    assert sentence.count("_") == 1, sentence
    return [sentence[:idx] + option1, sentence[:idx] + option2], sentence[idx + 1:].strip()


def encode_pair(tok, context, continuation):
    assert context != ""  # the harness's empty-context branch (prefix token) never applies here
    n_spaces = len(context) - len(context.rstrip())
    if n_spaces > 0:
        continuation = context[-n_spaces:] + continuation
        context = context[:-n_spaces]
    whole_enc = tok.encode(context + continuation)
    context_enc = tok.encode(context)
    continuation_enc = whole_enc[len(context_enc):]
    return context_enc, continuation_enc


def loglikelihood(cfg, W, context_enc, continuation_enc):
    assert len(continuation_enc) > 0
    whole = context_enc + continuation_enc
    assert len(whole) - 1 <= cfg["max_position_embeddings"]  # no harness truncation needed
    inp = whole[:-1]
    logits = ref.forward(cfg, W, torch.tensor([inp]))[0]  # [T, V] float64
    lp = torch.log_softmax(logits, dim=-1)[-len(continuation_enc):]
    return lp[torch.arange(len(continuation_enc)), torch.tensor(continuation_enc)].sum().item()


def fewshot_example(doc):
    choices, target = partial_split(doc["sentence"], doc["option1"], doc["option2"])
    return choices[{"1": 0, "2": 1}[doc["answer"]]] + " " + target


def mean_stderr(xs):
    n = len(xs)
    mu = sum(xs) / n
    return math.sqrt(sum((x - mu) ** 2 for x in xs) / (n - 1)) / math.sqrt(n)


def evaluate(cfg, W, tok, docs, prefixes):
    items, hits = [], []
    for doc, prefix in zip(docs, prefixes):
        choices, target = partial_split(doc["sentence"], doc["option1"], doc["option2"])
        lps, reqs = [], []
        for c in choices:
            ctx_enc, cont_enc = encode_pair(tok, prefix + c, " " + target)
            reqs.append([ctx_enc, cont_enc])
            lps.append(loglikelihood(cfg, W, ctx_enc, cont_enc))
        pred = 0 if lps[0] >= lps[1] else 1  # np.argmax: first wins ties
        gold = {"1": 0, "2": 1}[doc["answer"]]
        hits.append(1.0 if pred == gold else 0.0)
        items.append({"qID": doc["qID"], "logprob_option1": lps[0], "logprob_option2": lps[1],
                      "prediction": pred + 1, "gold": gold + 1, "requests": reqs})
    return items, sum(hits) / len(hits), mean_stderr(hits)


# ----------------------------------------------------------------------------------------
# Item generation from the fixture vocabulary
# ----------------------------------------------------------------------------------------

DETS = ["the", "a", "this", "that"]
ADJS = ["small", "big", "old", "new", "red", "green", "blue", "quick", "slow"]
NOUNS = ["cat", "dog", "bird", "fish", "tree", "house", "river", "mountain", "city", "road",
         "sun", "moon", "star", "sky", "water", "fire", "stone"]
VERBS = ["runs", "jumps", "sleeps", "walks"]
TVERBS = ["sees", "eats"]
PREPS = ["over", "under", "near", "to", "in", "on", "at", "with", "from", "by", "for"]
CONJ = ["and", "but", "or"]
OOV = ["zebra", "lion"]


def np_(rng):
    w = [rng.choice(DETS)]
    if rng.random() < 0.4:
        w.append(rng.choice(ADJS))
    return w


def clause(rng):
    """Word list with exactly one noun slot marked None (the blank)."""
    w = np_(rng) + [None]
    if rng.random() < 0.5:
        w += [rng.choice(VERBS), rng.choice(PREPS)] + np_(rng) + [rng.choice(NOUNS)]
    else:
        w += [rng.choice(TVERBS)] + np_(rng) + [rng.choice(NOUNS)]
    if rng.random() < 0.4:
        w += [rng.choice(CONJ), "it", rng.choice(["was", "is"]), rng.choice(ADJS)]
    return w


def option_pair(rng):
    a, b = rng.sample(NOUNS, 2)
    r = rng.random()
    if r < 0.2:  # multi-word options
        return rng.choice(ADJS) + " " + a, rng.choice(ADJS) + " " + b
    return a, b


def make_doc(rng, qid, kind):
    words = clause(rng)
    blank = words.index(None)
    o1, o2 = option_pair(rng)
    if kind == "start":  # blank is the first word
        words = words[blank:]
        blank = 0
    elif kind == "late":  # only a few words after the blank
        words = words[:blank + 1] + [rng.choice(VERBS)] + ([rng.choice(["far", "near"])] if rng.random() < 0.5 else [])
    elif kind == "long":
        words = words + [rng.choice(CONJ)] + [w if w is not None else rng.choice(NOUNS) for w in clause(rng)]
    before = " ".join(w for w in words[:blank])
    after = " ".join(words[blank + 1:])
    sep_before, sep_after, tail = (" " if before else ""), " ", ""
    if kind == "spaces":  # extra spaces around the blank and at the end
        sep_before, sep_after, tail = ("  " if before else ""), "   ", "  "
    elif kind == "tab":
        sep_after, tail = "\t", " \n"
    elif kind == "glued_s":  # text after the blank starts with a punctuation-like (OOV) piece
        sep_after, after = "", "'s " + after
    elif kind == "glued_dot":
        sep_after, after = "", ". " + after
    elif kind == "spaced_dot":
        after = ". " + after
    elif kind == "end_dot":  # only punctuation after the blank
        after = "."
    elif kind == "trailing_space_option":  # context ends in whitespace -> moved to continuation
        o1, o2 = o1 + " ", o2 + "  "
    elif kind == "oov_option":
        o1 = rng.choice(OOV)
    elif kind == "tie":  # both options map to <unk>: equal scores, option 1 must win
        o1, o2 = OOV
    sentence = before + sep_before + "_" + sep_after + after + tail
    answer = rng.choice(["1", "2"])
    return {"qID": qid, "sentence": sentence, "option1": o1, "option2": o2, "answer": answer}


DEV_KINDS = (["plain"] * 30 + ["start"] * 5 + ["late"] * 4 + ["long"] * 4 + ["spaces"] * 4
             + ["tab", "glued_s", "glued_s", "glued_dot", "spaced_dot", "end_dot", "end_dot",
                "trailing_space_option", "trailing_space_option", "oov_option", "oov_option", "tie"])


def make_docs(seed, kinds, prefix):
    rng = random.Random(seed)
    docs = []
    for i, kind in enumerate(kinds):
        docs.append(make_doc(rng, "%s-%03d-%s" % (prefix, i, kind), kind))
    return docs


def write_jsonl(path, docs):
    with open(path, "w") as f:
        for d in docs:
            f.write(json.dumps(d) + "\n")


def read_jsonl(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", default="library/src/test/resources/fixtures")
    ap.add_argument("--shots", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(1)

    mdir = os.path.join(args.fixtures, "llama_tied")
    with open(os.path.join(mdir, "config.json")) as f:
        cfg = json.load(f)
    W = {k: v.to(torch.float64) for k, v in ref.read_safetensors(os.path.join(mdir, "model.safetensors")).items()}
    if cfg["tie_word_embeddings"]:
        assert "lm_head.weight" not in W
    tok = WordLevelTokenizer(os.path.join(mdir, "tokenizer.json"))

    out = os.path.join(args.fixtures, "winogrande")
    os.makedirs(out, exist_ok=True)
    kinds = list(DEV_KINDS)
    random.Random(7).shuffle(kinds)
    write_jsonl(os.path.join(out, "dev.jsonl"), make_docs(2024, kinds, "dev"))
    write_jsonl(os.path.join(out, "fewshot.jsonl"),
                make_docs(99, ["plain"] * 6 + ["start", "spaces", "glued_s", "late"], "train"))
    # Score what is on disk (JSON round trip included).
    dev = read_jsonl(os.path.join(out, "dev.jsonl"))
    fewshot = read_jsonl(os.path.join(out, "fewshot.jsonl"))

    zero_items, acc0, se0 = evaluate(cfg, W, tok, dev, [""] * len(dev))

    rng = random.Random(1234)
    shots_ids, prefixes = [], []
    for _ in dev:
        picks = rng.sample(fewshot, args.shots)
        shots_ids.append([p["qID"] for p in picks])
        prefixes.append("\n\n".join(fewshot_example(p) for p in picks) + "\n\n")
    few_items, acc2, se2 = evaluate(cfg, W, tok, dev, prefixes)
    for it, ids, p in zip(few_items, shots_ids, prefixes):
        it["shots"] = ids
        it["prefix"] = p

    margins = [abs(i["logprob_option1"] - i["logprob_option2"]) for i in zero_items + few_items]
    nonzero = [m for m in margins if m > 0]
    ties = len(margins) - len(nonzero)
    expected = {
        "model": "llama_tied",
        "n": len(dev),
        "zero_shot": {"acc": acc0, "acc_stderr": se0, "items": zero_items},
        "fewshot": {"shots": args.shots, "acc": acc2, "acc_stderr": se2, "items": few_items},
        "min_nonzero_margin": min(nonzero),
        "exact_ties": ties,
    }
    ref.dump_json(os.path.join(out, "expected.json"), expected, indent=1)
    print("n=%d zero-shot acc=%.4f stderr=%.4f | %d-shot acc=%.4f stderr=%.4f | min margin %.3g, ties %d"
          % (len(dev), acc0, se0, args.shots, acc2, se2, min(nonzero), ties))


if __name__ == "__main__":
    main()
