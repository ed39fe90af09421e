"""The lazy catalog (handlers/catalog_index.py, issue 12) is the full one: the same commands in the
same order with the same texts, the same flows, and functions that are the modules' own once loaded.

Timing is not tested (the machine is shared); what is: which modules a 3-line script imports.
"""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from handlers import catalog, catalog_index, help
from handlers.catalog import MODULE_NAMES, MODULES, default_catalog, full_catalog
from handlers.catalog_index import Deferred
from handlers.registry import Catalog, Command

ROOT = Path(__file__).resolve().parent.parent
FIELDS = tuple(field.name for field in dataclasses.fields(Command) if field.name != "run")


def _lazy() -> Catalog:
    """The catalog from the index, with no module counted as loaded: every function deferred."""
    return catalog_index.from_index(json.loads(json.dumps(catalog_index.describe(MODULES))), loaded={})


def _fields(command: Command) -> tuple[object, ...]:
    return tuple(getattr(command, name) for name in FIELDS)


def _function(run: object) -> object:
    return run.resolve() if isinstance(run, Deferred) else run


def test_the_lazy_catalog_lists_the_same_commands_in_the_same_order_with_the_same_texts() -> None:
    lazy, full = _lazy(), full_catalog()
    assert [_fields(command) for command in lazy.order] == [_fields(command) for command in full.order]
    assert {key: command.name for key, command in lazy.commands.items()} == {
        key: command.name for key, command in full.commands.items()}
    assert list(lazy.commands) == list(full.commands)
    assert lazy.flow_titles == full.flow_titles


def test_its_functions_are_deferred_and_load_the_modules_own() -> None:
    lazy, full = _lazy(), full_catalog()
    assert all(isinstance(command.run, Deferred) for command in lazy.order)
    assert [_function(command.run) for command in lazy.order] == [command.run for command in full.order]
    assert list(lazy.flows) == list(full.flows)
    assert {name: _function(run) for name, run in lazy.flows.items()} == full.flows
    assert _function(lazy.on_photo) is full.on_photo is not None


def test_modules_already_loaded_are_taken_as_they_are() -> None:
    """The router tells /huy by its function (help.cancel): help is imported with the router."""
    index = catalog_index.describe(MODULES)
    lazy = catalog_index.from_index(index, loaded={"handlers.help": help})
    assert lazy.find("huy") is not None and lazy.find("huy").run is help.cancel  # type: ignore[union-attr]
    assert isinstance(lazy.find("baocao").run, Deferred)  # type: ignore[union-attr]


async def test_a_deferred_function_imports_its_module_and_runs_its_function(monkeypatch: pytest.MonkeyPatch) -> None:
    said: list[tuple[object, ...]] = []

    async def tried(*args: object) -> None:
        said.append(args)

    feature = ModuleType("handlers.fake_feature")
    feature.COMMANDS = [Command("thu", "Thử", tried)]  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "handlers.fake_feature", feature)
    await Deferred("handlers.fake_feature", "command", "thu")("ctx", "args")
    assert said == [("ctx", "args")]
    with pytest.raises(LookupError, match="stale"):
        Deferred("handlers.fake_feature", "command", "khong").resolve()


def test_the_default_catalog_is_written_once_then_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(catalog_index.tempfile, "gettempdir", lambda: str(tmp_path))
    first = default_catalog()  # no index yet: every module loaded, then the index written
    [written] = tmp_path.glob("chibo-catalog-*.json")
    assert json.loads(written.read_text(encoding="utf-8")) == json.loads(json.dumps(catalog_index.describe(MODULES)))
    second = default_catalog()
    assert [_fields(c) for c in second.order] == [_fields(c) for c in first.order]
    assert list(tmp_path.glob("chibo-catalog-*.json")) == [written]


def test_another_index_once_a_source_changes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keyed by the sources' names, sizes and modification times, as Python's bytecode cache is;
    older indexes of the same checkout are removed when a new one is written."""
    (tmp_path / "handlers").mkdir()
    source = tmp_path / "handlers" / "feature.py"
    source.write_text("COMMANDS = []\n", encoding="utf-8")
    monkeypatch.setattr(catalog_index, "ROOT", tmp_path)
    before = catalog_index.digest(MODULE_NAMES)
    assert catalog_index.digest(MODULE_NAMES) == before
    assert catalog_index.digest(MODULE_NAMES[:-1]) != before
    source.write_text("COMMANDS = [1]\n", encoding="utf-8")
    assert catalog_index.digest(MODULE_NAMES) != before
    old = catalog_index.index_path(MODULE_NAMES, tmp_path).with_name(f"{catalog_index._family()}-{before}.json")
    old.write_text("{}", encoding="utf-8")
    catalog_index._write(catalog_index.index_path(MODULE_NAMES, tmp_path), {"format": 0})
    assert [path.name for path in tmp_path.glob("*.json")] == [catalog_index.index_path(MODULE_NAMES, tmp_path).name]


def test_a_broken_index_means_loading_every_module(tmp_path: Path) -> None:
    catalog_index.index_path(MODULE_NAMES, tmp_path).write_text("{not json", encoding="utf-8")
    loaded = catalog_index.load(MODULE_NAMES, folder=tmp_path)
    assert [_fields(c) for c in loaded.order] == [_fields(c) for c in full_catalog().order]
    assert "format" in json.loads(catalog_index.index_path(MODULE_NAMES, tmp_path).read_text(encoding="utf-8"))


def test_modules_is_still_the_tuple_of_handler_modules() -> None:
    assert tuple(module.__name__ for module in MODULES) == MODULE_NAMES
    with pytest.raises(AttributeError):
        catalog.NO_SUCH_NAME  # noqa: B018


PROBE = """
import contextlib, io, json, sys
from bot.cli import main
with contextlib.redirect_stdout(io.StringIO()) as out:
    code = main(sys.argv[1:])
print(json.dumps({"code": code, "loaded": sorted(sys.modules), "out": out.getvalue()}))
"""


def _chat(tmp_path: Path, *args: str) -> dict[str, object]:
    """`chibo chat …` in a fresh interpreter (this process has every module loaded), with its own
    temporary folder: the first run writes the catalog's index (loading everything, as before),
    the next ones read it."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "FILES_DIR": str(tmp_path / "files")}
    env.pop("DATABASE_URL", None)
    done = subprocess.run([sys.executable, "-c", PROBE, "chat", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, check=True)
    result: dict[str, object] = json.loads(done.stdout.splitlines()[-1])
    return result


def test_a_script_loads_only_the_features_it_uses(tmp_path: Path) -> None:
    script = tmp_path / "three.txt"
    script.write_text("an: /trogiup\nan: /thamgia\nan: /huy\nan: /trogiup baocao\n", encoding="utf-8")
    first, second = _chat(tmp_path, "--script", str(script)), _chat(tmp_path, "--script", str(script))
    assert first["code"] == second["code"] == 0
    assert first["out"] == second["out"]
    assert "Cách gõ: /baocao" in str(second["out"]) and "Đã hủy" in str(second["out"])
    loaded = second["loaded"]
    assert isinstance(loaded, list)
    assert "handlers.joining" in loaded  # /thamgia ran
    unused = [name for name in MODULE_NAMES if name not in ("handlers.help", "handlers.joining")]
    assert [name for name in unused if name in loaded] == ["handlers.profile"]  # joining uses its words
    assert not any(name.startswith(("schedules", "openpyxl", "matplotlib", "telegram", "aiohttp", "apscheduler"))
                   for name in loaded)


def test_a_transcript_passes_with_features_and_the_scheduler_loaded_as_it_goes(tmp_path: Path) -> None:
    """Meetings set, reminders delivered at `# time:` lines (the scheduler attached at the first),
    a flow answered, attendance rows flushed (the ORM's flush hooks, storage/tallies.py: none imported mid-flush)."""
    script = tmp_path / "one.txt"
    script.write_text("an: /trogiup\n", encoding="utf-8")
    _chat(tmp_path, "--script", str(script))  # the index written
    transcripts = ROOT / "tests" / "transcripts"
    result = _chat(tmp_path, "--script", str(transcripts / "meetings_month.txt"), "--check",
                   "--import", str(transcripts / "meetings_cell.csv"))
    assert result["code"] == 0, str(result["out"])[-3000:]
    assert "handlers.meetings" in result["loaded"] and "schedules.driver" in result["loaded"]  # type: ignore[operator]
    assert "handlers.summary" not in result["loaded"]  # type: ignore[operator]
