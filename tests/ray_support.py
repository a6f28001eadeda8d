"""A local Ray for the batch tests (tests/test_batch_ray.py, tests/test_batch_llm.py)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest


@contextmanager
def started_ray(ray, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """A local Ray on 2 CPUs whose workers keep their files under a folder of their own;
    yields the cache folder they share with the test, and shuts Ray down after."""
    base = tmp_path_factory.mktemp("ray-user")
    with pytest.MonkeyPatch.context() as mp:
        for name in ("CACHE", "DATA", "CONFIG"):
            mp.setenv(f"M2M_READER_{name}_DIR", str(base / name.lower()))
        mp.setenv("OPENAI_API_KEY", "sk-batch-test")  # the workers' own (never sent by Ray)
        ray.init(num_cpus=2, include_dashboard=False, object_store_memory=150 * 1024**2,
                 log_to_driver=False)  # fmt: skip
    try:
        yield base / "cache"
    finally:
        ray.shutdown()
