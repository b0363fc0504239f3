"""``python -m cdk_backup_jobs.release.template``: the maintainers' command that rewrites the release files."""

from __future__ import annotations

import pytest

from cdk_backup_jobs.release import template


def test_help_says_what_it_writes_and_writes_nothing(tmp_path, monkeypatch, capsys):
    # As its siblings (example_templates, release.reference_tables) answer --help; this one wrote the files.
    monkeypatch.setattr(template, "RELEASE_DIR", tmp_path)
    monkeypatch.setattr(template, "release_files", lambda: pytest.fail("--help synthesized the release files"))
    with pytest.raises(SystemExit) as exited:
        template.main(["--help"])
    assert exited.value.code == 0
    assert "python -m cdk_backup_jobs.release.template" in capsys.readouterr().out
    assert list(tmp_path.iterdir()) == []


def test_without_arguments_it_writes_each_release_file_and_prints_its_path(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(template, "RELEASE_DIR", tmp_path)
    monkeypatch.setattr(template, "release_files", lambda: {"a.yaml": "A", "b.md": "B"})
    template.main([])
    assert {p.name: p.read_text() for p in tmp_path.iterdir()} == {"a.yaml": "A", "b.md": "B"}
    assert capsys.readouterr().out.split() == [str(tmp_path / "a.yaml"), str(tmp_path / "b.md")]
