"""bench/real/catalog.toml parses and follows its schema (offline: nothing is fetched or built)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.real import catalog, fetch, measure


def test_catalog_entries_follow_the_schema() -> None:
    programs = catalog.load()
    assert programs
    for p in programs:
        assert p.mains and p.shapes and p.where and p.human_fix, p.name
        assert set(p.shapes) <= set(catalog.SHAPES), p.name
        assert p.version.startswith("v"), p.name
        for m in p.modules():
            assert not Path(m.dir).is_absolute() and ".." not in Path(m.dir).parts, (p.name, m.dir)


@pytest.mark.parametrize("body, message", [
    pytest.param('name = "x"\nmodule = "m"\nversion = "v1.0.0"\nmains = ["."]\nshapes = ["b-own-template"]\n'
                 'where = ["a.go:1"]\n', "missing human_fix", id="missing-key"),
    pytest.param('name = "x"\nmodule = "m"\nversion = "v1.0.0"\nmains = ["."]\nshapes = ["z-unknown"]\n'
                 'where = ["a.go:1"]\nhuman_fix = "none"\n', "unknown shapes", id="unknown-shape"),
])
def test_catalog_rejects_bad_entries(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "catalog.toml"
    path.write_text("[[program]]\n" + body)
    with pytest.raises(catalog.CatalogError, match=message):
        catalog.load(path)


def test_fetch_refuses_an_unknown_name(capsys: pytest.CaptureFixture[str]) -> None:
    assert fetch.main(["no-such-program"]) == 2
    assert capsys.readouterr().err.startswith("error: no entry 'no-such-program'")
    assert measure.main(["no-such-program"]) == 2
