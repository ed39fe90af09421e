"""Exit 0 when the test PostgreSQL server (127.0.0.1:5432, database `test`) answers."""

from __future__ import annotations

import asyncio
import os
import sys

PG_URL = os.environ.get("CHIBO_TEST_PG_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test")


async def _ping() -> bool:
    import asyncpg

    try:
        connection = await asyncpg.connect(PG_URL.replace("+asyncpg", ""), timeout=3)
    except Exception:
        return False
    await connection.close()
    return True


if __name__ == "__main__":
    sys.exit(0 if asyncio.run(_ping()) else 1)
