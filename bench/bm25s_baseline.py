#!/usr/bin/env python3
"""The bm25s baseline for `paperhub-bench run`.

Indexes a BEIR corpus.jsonl with bm25s (title + " " + text, English stop words, PyStemmer's
English Snowball stemmer: the closest match to paperhub's analyzer, which lower-cases, folds
accents, drops English stop words and stems with Snowball English), then times each query on
its own (tokenize + retrieve top-k, one thread), after one warm-up pass. Writes timings and
each query's top-k `_id`s (for nDCG) as JSON.

Install: python3 -m pip install -r bench/requirements.txt
"""

import argparse
import json
import os
import resource
import statistics
import sys
import time

import bm25s
import numpy as np
import Stemmer


# The stop words paperhub's analyzer drops (crates/paperhub-search/src/tantivy_index.rs,
# STOP_WORDS: the Snowball English list), so both systems search the same words.
SNOWBALL_STOP_WORDS = """
i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she
her hers herself it its itself they them their theirs themselves what which who whom this that
these those am is are was were be been being have has had having do does did doing would should
could ought cannot a an the and but if or because as until while of at by for with about against
between into through during before after above below to from up down in out on off over under
again further then once here there when where why how all any both each few more most other some
such no nor not only own same so than too very
""".split()


def log(message):
    print(f"bm25s: {message}", file=sys.stderr, flush=True)


def percentile(sorted_values, p):
    """Nearest-rank percentile, as the Rust side computes it."""
    if not sorted_values:
        return float("nan")
    rank = int(np.ceil(p / 100.0 * len(sorted_values)))
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True, help="BEIR corpus.jsonl")
    parser.add_argument("--queries", required=True, help="BEIR queries.jsonl")
    parser.add_argument("--k", type=int, default=10, help="hits per query")
    parser.add_argument("--out", required=True, help="JSON results file to write")
    parser.add_argument("--backend", default="numpy", help="bm25s backend: numpy (default), numba, auto")
    parser.add_argument(
        "--stopwords",
        default="snowball",
        choices=["snowball", "en"],
        help="snowball: the list paperhub uses (default); en: bm25s's own 33-word list",
    )
    args = parser.parse_args()

    stemmer = Stemmer.Stemmer("english")
    stopwords = SNOWBALL_STOP_WORDS if args.stopwords == "snowball" else "en"

    started = time.perf_counter()
    ids, texts = [], []
    with open(args.corpus, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            doc = json.loads(line)
            ids.append(str(doc["_id"]))
            texts.append((doc.get("title") or "") + " " + (doc.get("text") or ""))
            if len(ids) % 200_000 == 0:
                log(f"read {len(ids)} docs ({time.perf_counter() - started:.1f}s)")
    load_seconds = time.perf_counter() - started
    log(f"read {len(ids)} docs in {load_seconds:.1f}s")

    started = time.perf_counter()
    corpus_tokens = bm25s.tokenize(texts, stopwords=stopwords, stemmer=stemmer, show_progress=False)
    tokenize_seconds = time.perf_counter() - started
    del texts
    log(f"tokenized in {tokenize_seconds:.1f}s ({len(corpus_tokens.vocab)} terms)")

    started = time.perf_counter()
    retriever = bm25s.BM25(backend=args.backend)
    retriever.index(corpus_tokens, show_progress=False)
    index_seconds = time.perf_counter() - started
    vocab_size = len(corpus_tokens.vocab)
    del corpus_tokens
    log(f"indexed in {index_seconds:.1f}s")
    scores = retriever.scores
    index_bytes = sum(scores[key].nbytes for key in ("data", "indices", "indptr"))

    with open(args.queries, encoding="utf-8") as f:
        queries = [json.loads(line) for line in f if line.strip()]

    def search(text):
        tokens = bm25s.tokenize(text, stopwords=stopwords, stemmer=stemmer, return_ids=False, show_progress=False)
        if not tokens[0] or not any(t in retriever.vocab_dict for t in tokens[0]):
            return []
        docs, _ = retriever.retrieve(tokens, k=args.k, show_progress=False, n_threads=0)
        return [ids[i] for i in docs[0]]

    log(f"warm-up pass over {len(queries)} queries")
    for q in queries:
        search(q["text"])
    log("timed pass")
    millis, results = [], {}
    for q in queries:
        t = time.perf_counter()
        hits = search(q["text"])
        millis.append((time.perf_counter() - t) * 1e3)
        results[str(q["_id"])] = hits
    ordered = sorted(millis)
    latency = {
        "p50_ms": percentile(ordered, 50),
        "p95_ms": percentile(ordered, 95),
        "p99_ms": percentile(ordered, 99),
        "mean_ms": statistics.fmean(ordered),
        "max_ms": ordered[-1],
    }
    log(f"p50 {latency['p50_ms']:.2f} ms, p99 {latency['p99_ms']:.2f} ms")

    out = {
        "papers": len(ids),
        "load_seconds": load_seconds,
        "tokenize_seconds": tokenize_seconds,
        "index_seconds": index_seconds,
        "vocab_size": vocab_size,
        "index_mib": index_bytes / 2**20,
        "backend": args.backend,
        "stopwords": args.stopwords,
        "queries": len(queries),
        "latency": latency,
        "peak_rss_mib_self": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "versions": {
            "python": sys.version.split()[0],
            "bm25s": getattr(bm25s, "__version__", "?"),
            "numpy": np.__version__,
            "pystemmer": getattr(Stemmer, "__version__", "?"),
        },
        "threads": os.environ.get("OMP_NUM_THREADS", "default"),
        "results": results,
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
