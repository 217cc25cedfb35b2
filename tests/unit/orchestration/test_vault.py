"""Secrets at rest: stored rows hold Fernet tokens, never the plain value; rotation
re-encrypts every row with the newest key; a missing or wrong key is a ConfigError naming
LEGATO_SECRET_KEY(S); the key file is made 0600 on first use. On SQLite and PostgreSQL."""

from __future__ import annotations

import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import select

from legato._clock import FakeClock
from legato.errors import ConfigError, Conflict
from legato.orchestration.keyring import KEY_FILE_NAME, Keyring, new_key
from legato.orchestration.local import create_local_backend
from legato.orchestration.vault import Vault
from legato.settings import Settings
from legato.store.database import Database
from legato.store.tables import secrets

T0 = datetime(2026, 5, 1, 9, tzinfo=UTC)
VALUE = "correct-horse-battery-staple"


def raw_rows(db: Database) -> dict[str, bytes]:
    with db.reading() as conn:
        rows = conn.execute(select(secrets.c.name, secrets.c.ciphertext))
        return {row.name: bytes(row.ciphertext) for row in rows}


def test_stored_row_holds_a_fernet_token_not_the_value(any_db: Database) -> None:
    key = new_key()
    vault = Vault(any_db, FakeClock(T0), Keyring([key]))
    vault.write_secret("db", VALUE)
    token = raw_rows(any_db)["db"]
    assert VALUE.encode() not in token
    assert Fernet(key.encode()).decrypt(token) == VALUE.encode()
    # Two writes of one value give different tokens (random IV): nothing to compare.
    vault.write_secret("db2", VALUE)
    assert raw_rows(any_db)["db2"] != token


def test_rotation_reencrypts_every_secret_with_the_newest_key(any_db: Database) -> None:
    old, new = new_key(), new_key()
    clock = FakeClock(T0)
    Vault(any_db, clock, Keyring([old])).write_secret("a", "alpha-value")
    Vault(any_db, clock, Keyring([old])).write_secret("b", "beta-value")
    before = raw_rows(any_db)
    rotating = Vault(any_db, clock, Keyring([new, old]))
    assert rotating.read_secret("a") == "alpha-value"  # either key decrypts meanwhile
    assert rotating.rotate_keys() == 2
    after = raw_rows(any_db)
    assert all(after[name] != before[name] for name in before)
    only_new = Vault(any_db, clock, Keyring([new]))
    assert (only_new.read_secret("a"), only_new.read_secret("b")) == ("alpha-value", "beta-value")
    with pytest.raises(ConfigError, match="LEGATO_SECRET_KEYS"):
        Vault(any_db, clock, Keyring([old])).read_secret("a")


def test_rotation_with_a_key_that_opens_nothing_changes_nothing(any_db: Database) -> None:
    clock = FakeClock(T0)
    Vault(any_db, clock, Keyring([new_key()])).write_secret("a", "alpha-value")
    before = raw_rows(any_db)
    with pytest.raises(ConfigError, match=r"cannot be rotated.*LEGATO_SECRET_KEY"):
        Vault(any_db, clock, Keyring([new_key()])).rotate_keys()
    assert raw_rows(any_db) == before


def test_wrong_key_names_the_settings_to_fix(any_db: Database) -> None:
    clock = FakeClock(T0)
    Vault(any_db, clock, Keyring([new_key()])).write_secret("api", "token-value")
    with pytest.raises(ConfigError) as caught:
        Vault(any_db, clock, Keyring([new_key()])).read_secret("api")
    message = str(caught.value)
    assert "secret 'api' cannot be decrypted" in message
    assert "LEGATO_SECRET_KEYS" in message and "LEGATO_SECRET_KEY " in message
    assert "token-value" not in message


def test_backend_without_keys_refuses_secrets_but_serves_variables(any_db: Database) -> None:
    vault = Vault(any_db, FakeClock(T0), Keyring())
    with pytest.raises(ConfigError, match=r"no secret key is configured.*LEGATO_SECRET_KEY"):
        vault.write_secret("a", "value")
    assert vault.write_variable("v", 1).value == 1


def test_key_that_is_not_fernet_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match=r"secret key #2 from LEGATO_SECRET_KEY.*not a Fernet"):
        Keyring([new_key(), "not-a-key"])


def test_key_file_is_made_0600_on_first_secret_and_reused(tmp_path: Path) -> None:
    settings = Settings.from_env({"LEGATO_HOME": str(tmp_path)})
    backend = create_local_backend(settings)
    key_file = tmp_path / KEY_FILE_NAME
    try:
        assert not key_file.exists()  # nothing made until a secret is used
        backend.write_secret("db", VALUE)
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert VALUE not in key_file.read_text()
    finally:
        backend.close()
    again = create_local_backend(settings)
    try:
        assert again.read_secret("db") == VALUE
    finally:
        again.close()


def test_missing_key_file_when_reading_is_an_error_naming_it(tmp_path: Path) -> None:
    ring = Keyring(key_file=tmp_path / KEY_FILE_NAME)
    with pytest.raises(ConfigError, match=f"{KEY_FILE_NAME} does not exist.*LEGATO_SECRET_KEY"):
        ring.decrypt("db", b"token")
    assert "Keyring(" in repr(ring) and "token" not in repr(ring)


def test_settings_keys_win_over_the_key_file(tmp_path: Path) -> None:
    key = new_key()
    settings = Settings.from_env({"LEGATO_HOME": str(tmp_path), "LEGATO_SECRET_KEY": key})
    backend = create_local_backend(settings)
    try:
        backend.write_secret("db", VALUE)
        assert not (tmp_path / KEY_FILE_NAME).exists()
        assert Keyring([key]).decrypt("db", raw_rows(backend.db)["db"]) == VALUE
    finally:
        backend.close()


def test_concurrent_writes_of_one_new_name_never_fail_or_replace_unasked(
    any_db: Database,
) -> None:
    vault = Vault(any_db, FakeClock(T0), Keyring([new_key()]))
    errors: list[BaseException] = []
    refused: list[int] = []
    start = threading.Barrier(8)

    def write(i: int) -> None:
        start.wait()
        try:
            vault.write_variable("shared", i)  # overwrite: an upsert, whoever comes first
            vault.write_secret("shared", f"value-{i}")
            vault.write_variable("first-only", i, overwrite=False)
        except Conflict:
            refused.append(i)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(refused) == 7  # exactly one writer stored "first-only"
    kept = vault.read_variable("first-only").value
    assert kept not in refused
    assert vault.read_secret("shared").startswith("value-")
