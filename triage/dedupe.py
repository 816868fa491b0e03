"""Score each distinct text once, on every core.

Exports repeat themselves: bulk mail, bot notices and "any update?" follow-ups arrive thousands of
times with the same words. What the models read of a ticket (the transformer embedding, the
sentiment and the keyword hits) depends only on its cleaned text, so :class:`DedupingSignalExtractor`
keeps those per distinct text in a bounded least-recently-used cache, keyed by a 128-bit hash of
the text, and computes each text the cache lacks once. Memory stays flat however long the run: the
cache holds at most ``cache_size`` texts' signals (about 1.6 KB each).

The transformer runs on worker threads, one text per call, each thread with one intra-op thread:
the threads keep every core busy without oversubscribing it, and a text's embedding is computed
the same way whatever else is in the file. That makes the results exact rather than close: scoring
with or without duplicates, in chunks of any size, or resumed after an interruption gives the same
numbers bit for bit. (Batching texts together would not: with int8 dynamic quantisation the
activation scale is shared by a batch, and even in fp32 the matrix kernels round differently for
different batch shapes.)
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from concurrent.futures import Future, ThreadPoolExecutor

import numpy as np

from .keywords import KeywordHit
from .signals import SignalExtractor

DEFAULT_CACHE_SIZE = 20_000


def text_key(text: str) -> bytes:
    """A 128-bit digest of a text: the cache key (collisions are out of reach at any file size)."""
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, which containers and taskset restrict)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


class LruCache:
    """A thread-safe mapping that holds at most ``size`` entries, dropping the least recently used."""

    def __init__(self, size: int):
        if size < 0:
            raise ValueError(f"The cache size must be 0 or more; got {size}.")
        self.size = size
        self._entries: OrderedDict = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable):
        with self._lock:
            value = self._entries.get(key)
            if value is not None:
                self._entries.move_to_end(key)
            return value

    def put(self, key: Hashable, value) -> None:
        if self.size == 0:
            return
        with self._lock:
            self._entries[key] = value
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        return len(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


class EncoderWorkers:
    """Worker threads for the transformer, each limited to one intra-op thread.

    torch's intra-op thread count is per thread, but a new thread starts from the value last set
    anywhere; so the workers set theirs once, all at start, and the caller's value is put back for
    every other thread. A fork (a Spark or multiprocessing worker) gets fresh threads.
    """

    def __init__(self, count: int, warm_up: Callable[[], object] | None = None):
        import torch

        if count < 1:
            raise ValueError(f"The number of workers must be 1 or more; got {count}.")
        self.count = count
        self.pid = os.getpid()
        previous = torch.get_num_threads()
        ready = threading.Barrier(count + 1)

        def start() -> None:
            torch.set_num_threads(1)
            if warm_up is not None:
                with contextlib.suppress(Exception):  # the first real use reports a broken encoder
                    warm_up()  # a thread's first pass through the model sets up its kernels
            ready.wait()

        self._executor = ThreadPoolExecutor(count, thread_name_prefix="triage-encoder", initializer=start)
        for _ in range(count):
            # Each submission finds no idle thread (the others wait at the barrier), so each starts one.
            self._executor.submit(lambda: None)
        ready.wait()
        torch.set_num_threads(previous)

    def submit(self, function: Callable, *args) -> Future:
        return self._executor.submit(function, *args)

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)


class WorkerStart(threading.Thread):
    """Starts :class:`EncoderWorkers` in the background, each worker warmed up by one pass through
    the model (the first pass of a thread sets up its kernels: a good part of a cold start), so
    that happens while the rest of the engine loads.

    A daemon thread, so a hung start cannot keep a process alive; but one stopped by the
    interpreter's exit in the middle of torch's kernels aborts the process. :func:`finish_starts`
    lets a program that stops early (Ctrl-C during loading) wait for them first."""

    def __init__(self, encoder, count: int):
        super().__init__(name="triage-worker-start", daemon=True)
        self.encoder, self.count = encoder, count
        self.pool: EncoderWorkers | None = None
        _STARTS.add(self)
        self.start()

    def run(self) -> None:
        with contextlib.suppress(Exception):  # the first real use reports a broken encoder
            # The tokenizer settles its padding and truncation settings on its first call; make
            # that call here, before threads share it.
            self.encoder.encode_windows(["warm up"])
            self.pool = EncoderWorkers(self.count, warm_up=lambda: self.encoder.encode_windows(["warm up"]))


_STARTS: "weakref.WeakSet[WorkerStart]" = weakref.WeakSet()


def finish_starts(timeout: float = 30.0) -> None:
    """Wait (at most ``timeout`` seconds each) for worker starts still warming up."""
    for start in list(_STARTS):
        start.join(timeout)


class DedupingSignalExtractor(SignalExtractor):
    """A :class:`~triage.signals.SignalExtractor` that computes each distinct text's embedding,
    sentiment and keyword hits once, the transformer part on ``workers`` threads (default: one
    per available core), and remembers the last ``cache_size`` texts' results."""

    def __init__(
        self, *args, cache_size: int = DEFAULT_CACHE_SIZE, workers: int | None = None, starting: WorkerStart | None = None, **kwargs
    ):
        super().__init__(*args, **kwargs)
        if workers is not None and workers < 1:
            raise ValueError(f"The number of workers must be 1 or more; got {workers}.")
        self.workers = workers or available_cores()
        # The workers start in the background (see WorkerStart); the engine starts them earlier still.
        self._starting = starting if starting is not None else WorkerStart(self.encoder, self.workers)
        self._vectors = LruCache(cache_size)  # text key -> Future of (embedding, sentiment probabilities)
        self._hits = LruCache(cache_size)  # text key -> tuple of KeywordHit
        # Prefetched texts stay here until scored, whatever the cache drops meanwhile.
        self._pinned: dict[bytes, Future] = {}
        self._pending: set[Future] = set()  # submitted and not done: cancelled when a run stops
        self._pool: EncoderWorkers | None = None
        self._pool_lock = threading.Lock()

    @property
    def cache_size(self) -> int:
        return self._vectors.size

    def clear_cache(self) -> None:
        self.cancel_prefetch()
        self._vectors.clear()
        self._hits.clear()

    def cancel_prefetch(self) -> None:
        """Forget prefetched texts not scored yet and drop the embeddings not started (a run
        stopped early: Ctrl-C then does not wait for a chunk's worth of queued work)."""
        with self._pool_lock:
            self._pinned = {}
            pending, self._pending = self._pending, set()
        for future in pending:
            future.cancel()

    def _workers(self) -> EncoderWorkers:
        with self._pool_lock:
            if self._starting is not None:
                self._starting.join()
                self._pool, self._starting = self._starting.pool, None
            if self._pool is None or self._pool.pid != os.getpid():
                SignalExtractor.embed_and_judge(self, ["warm up"])  # settles the tokenizer (see WorkerStart)
                self._pool = EncoderWorkers(self.workers)
            return self._pool

    def _embed_one(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        embeddings, proba = SignalExtractor.embed_and_judge(self, [text])
        embedding, probabilities = embeddings[0].copy(), proba[0].copy()
        embedding.flags.writeable = False
        probabilities.flags.writeable = False
        return embedding, probabilities

    def _futures(self, texts: list[str], pin: bool = False) -> dict[str, Future]:
        found: dict[str, Future] = {}
        pool = None
        for text in dict.fromkeys(texts):
            key = text_key(text)
            with self._pool_lock:
                future = self._pinned.get(key) if pin else self._pinned.pop(key, None)
            if future is None or future.cancelled():
                future = self._vectors.get(key)
            if future is None or future.cancelled() or (future.done() and future.exception() is not None):
                pool = pool or self._workers()
                future = pool.submit(self._embed_one, text)
                with self._pool_lock:
                    self._pending.add(future)
                future.add_done_callback(self._forget)
            self._vectors.put(key, future)
            if pin:
                with self._pool_lock:
                    self._pinned[key] = future
            found[text] = future
        return found

    def _forget(self, future: Future) -> None:
        with self._pool_lock:
            self._pending.discard(future)

    def prefetch(self, texts: list[str]) -> None:
        """Start embedding ``texts`` in the background; the next call for them finds the results
        (done or under way), even if the cache dropped them meanwhile."""
        self._futures(texts, pin=True)

    def embed_and_judge(self, texts: list[str]) -> tuple[np.ndarray, np.ndarray]:
        if not texts:
            return SignalExtractor.embed_and_judge(self, [])
        futures = self._futures(texts)
        results = {text: future.result() for text, future in futures.items()}
        embeddings = np.stack([results[t][0] for t in texts])
        proba = np.stack([results[t][1] for t in texts])
        return embeddings, proba

    def keywords(self, texts: list[str]) -> list[list[KeywordHit]]:
        found: dict[str, tuple[KeywordHit, ...]] = {}
        missing = []
        for text in dict.fromkeys(texts):
            cached = self._hits.get(text_key(text))
            if cached is None:
                missing.append(text)
            else:
                found[text] = cached
        if missing:
            for text, hits in zip(missing, super().keywords(missing)):
                found[text] = tuple(hits)
                self._hits.put(text_key(text), found[text])
        return [list(found[t]) for t in texts]
