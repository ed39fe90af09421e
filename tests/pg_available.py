"""Exit 0 when the test PostgreSQL server (127.0.0.1:5432, database `test`) answers."""

from __future__ import annotations

import asyncio
import os
import sys

from storage.db import answers

PG_URL = os.environ.get("CHIBO_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(answers(PG_URL)) else 1)
