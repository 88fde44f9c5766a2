"""Baselines for `paperhub-bench recommend`: arxiv-sanity-lite's recommendation method.

arxiv-sanity-lite (karpathy/arxiv-sanity-lite, serve.py and compute.py) ranks papers for a
tag with a linear SVM trained per request: the tag's papers are the positives, every other
paper a negative, over tf-idf features of title and abstract
(TfidfVectorizer: unigrams and bigrams, English stop words, sublinear tf, l2 norm) and
sklearn's LinearSVC(class_weight='balanced', C=0.01, tol=1e-6, max_iter=10000).
`min_df`/`max_df` are scaled to this small corpus (it uses min_df=5, max_df=0.1 on all
of arXiv; here min_df=1, max_df=0.5 so that tiny tags keep their words).

The second baseline is the same SVM over paperhub's own MiniLM vectors (given in the input),
which is what "a classifier per tag" on the stored embeddings would do.

Input: JSON {texts, vectors, tasks: [{tag: [index...]}]}; output: the top 10 indexes of
each task per method (tag papers left out), and the seconds each method took.
"""

import argparse
import json
import time

import numpy as np
from sklearn import svm
from sklearn.feature_extraction.text import TfidfVectorizer


def svm_rankings(features, tasks, n):
    rankings = []
    for task in tasks:
        tag = set(task["tag"])
        y = np.zeros(n)
        y[list(tag)] = 1
        clf = svm.LinearSVC(class_weight="balanced", verbose=False, max_iter=10000, tol=1e-6, C=0.01)
        clf.fit(features, y)
        scores = clf.decision_function(features)
        order = [int(i) for i in np.argsort(-scores) if int(i) not in tag]
        rankings.append(order[:10])
    return rankings


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--input", required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()
    data = json.load(open(args.input))
    texts, tasks = data["texts"], data["tasks"]
    n = len(texts)
    rankings, seconds = {}, {}

    started = time.perf_counter()
    tfidf = TfidfVectorizer(
        input="content", encoding="utf-8", decode_error="replace", strip_accents="unicode",
        lowercase=True, analyzer="word", stop_words="english",
        token_pattern=r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b", ngram_range=(1, 2),
        norm="l2", use_idf=True, smooth_idf=True, sublinear_tf=True, max_df=0.5, min_df=1,
    )
    features = tfidf.fit_transform(texts)
    name = "arxiv-sanity-lite (tf-idf + linear SVM)"
    rankings[name] = svm_rankings(features, tasks, n)
    seconds[name] = time.perf_counter() - started

    started = time.perf_counter()
    vectors = np.asarray(data["vectors"], dtype=np.float32)
    name = "linear SVM over paperhub's vectors"
    rankings[name] = svm_rankings(vectors, tasks, n)
    seconds[name] = time.perf_counter() - started

    json.dump({"rankings": rankings, "seconds": seconds}, open(args.out, "w"))


if __name__ == "__main__":
    main()
