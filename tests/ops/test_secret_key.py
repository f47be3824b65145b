"""SECRET_KEY: development keeps the key it generates (a restart keeps sign-ins), production
refuses one shorter than 32 bytes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from crm.settings import DEV_SECRET_KEY_FILE, Settings, load_settings


@pytest.fixture
def unset_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A development run in `tmp_path` without SECRET_KEY."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("CRM_ENV", "development")
    return tmp_path / DEV_SECRET_KEY_FILE


def test_development_keeps_its_generated_key_across_restarts(unset_key: Path):
    # when: started twice
    first, second = Settings(), Settings()

    # then: one key, long enough for production, in a file only its owner reads
    assert first.secret_key == second.secret_key
    assert len(first.secret_key.encode()) >= 32
    assert unset_key.read_text().strip() == first.secret_key
    assert stat.S_IMODE(unset_key.stat().st_mode) == 0o600
    assert sorted(path.name for path in unset_key.parent.iterdir()) == [DEV_SECRET_KEY_FILE]


def test_a_set_key_wins_and_writes_nothing(unset_key: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("SECRET_KEY", "k" * 40)

    assert Settings().secret_key == "k" * 40
    assert not unset_key.exists()


def test_tests_get_a_key_per_process_and_no_file(unset_key: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("CRM_ENV", "test")

    assert Settings().secret_key != Settings().secret_key
    assert not unset_key.exists()


def test_a_truncated_key_file_is_refused_by_name(unset_key: Path):
    unset_key.write_text("short\n")

    with pytest.raises(SystemExit) as refused:
        load_settings()

    assert DEV_SECRET_KEY_FILE in str(refused.value.code)


@pytest.mark.parametrize(("key", "accepted"), [("x" * 31, False), ("x" * 32, True)])
def test_production_needs_32_bytes(monkeypatch: pytest.MonkeyPatch, key: str, accepted: bool):
    monkeypatch.setenv("CRM_ENV", "production")
    monkeypatch.setenv("SECRET_KEY", key)

    if accepted:
        assert load_settings().secret_key == key
    else:
        with pytest.raises(SystemExit) as refused:
            load_settings()
        assert "SECRET_KEY must be at least 32 bytes" in str(refused.value.code)
