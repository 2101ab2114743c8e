"""`redact_dsn` and the connection error message: passwords never shown."""

from __future__ import annotations

import pytest

from parity.db.connect import connect, describe_dsn, redact_dsn
from parity.errors import ParityError


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        ("postgresql://bob:s3cret@db.example:5432/prod", "postgresql://bob@db.example:5432/prod"),
        ("postgres://bob:s3cret@db/prod", "postgres://bob@db/prod"),
        ("postgresql://bob@db/prod", "postgresql://bob@db/prod"),
        ("postgresql://db/prod", "postgresql://db/prod"),
        ("postgresql://bob:s3cret@db", "postgresql://bob@db"),
        ("postgresql://:s3cret@db/prod", "postgresql://db/prod"),
        # pgserver's own URIs: an empty password and a socket directory
        (
            "postgresql://postgres:@/postgres?host=/tmp/pg",
            "postgresql://postgres@/postgres?host=/tmp/pg",
        ),
        # percent-encoded and raw special characters in the password
        ("postgresql://bob:p%40ss%2Fw@db/prod", "postgresql://bob@db/prod"),
        ("postgresql://bob:p/ss@w@db/prod", "postgresql://bob@db/prod"),
        # multi-host
        ("postgresql://bob:s3cret@h1:5432,h2:5433/prod", "postgresql://bob@h1:5432,h2:5433/prod"),
        # password as a query parameter, alone, first, middle, last
        ("postgresql://db/prod?password=s3cret", "postgresql://db/prod"),
        (
            "postgresql://db/prod?password=s3cret&sslmode=require",
            "postgresql://db/prod?sslmode=require",
        ),
        (
            "postgresql://db/prod?sslmode=require&password=s3cret&connect_timeout=3",
            "postgresql://db/prod?sslmode=require&connect_timeout=3",
        ),
        (
            "postgresql://bob:one@db/prod?application_name=a@b&password=two",
            "postgresql://bob@db/prod?application_name=a@b",
        ),
        ("POSTGRESQL://bob:s3cret@db/prod", "POSTGRESQL://bob@db/prod"),
        # a percent-encoded key (libpq decodes it: pass%77ord is password)
        ("postgresql://db/prod?host=/tmp&pass%77ord=s3cret", "postgresql://db/prod?host=/tmp"),
        ("postgresql://db/prod?PASSWORD=s3cret&port=5", "postgresql://db/prod?port=5"),
        # the SSL key's password is a secret too
        ("postgresql://db/prod?sslpassword=s3cret&port=5", "postgresql://db/prod?port=5"),
        ("host=db sslpassword=s3cret dbname=prod", "host=db dbname=prod"),
        # key=value form
        ("host=db dbname=prod user=bob password=s3cret", "host=db dbname=prod user=bob"),
        ("password=s3cret host=db", "host=db"),
        ("host=db password = s3cret port=5432", "host=db port=5432"),
        ("host=db PASSWORD=s3cret", "host=db"),
        ("host=db password='s3 cr\\'et' dbname=prod", "host=db dbname=prod"),
        ("host=db password='' dbname=prod", "host=db dbname=prod"),
        ("host=db dbname=prod", "host=db dbname=prod"),
        ("", ""),
    ],
)
def test_redact_dsn(dsn: str, expected: str) -> None:
    assert redact_dsn(dsn) == expected
    assert "s3cret" not in redact_dsn(dsn)
    assert "s3 cr" not in redact_dsn(dsn)


def test_libpq_reads_no_secret_from_a_redacted_dsn() -> None:
    """The independent reference: libpq's own parse of the redacted string."""
    from psycopg2.extensions import parse_dsn

    for dsn in (
        "postgresql://u:s3cret@db/x?pass%77ord=s3cret&sslpassword=s3cret&port=5",
        "host=db password=s3cret sslpassword=s3cret port=5",
    ):
        parsed = parse_dsn(redact_dsn(dsn))
        assert "password" not in parsed and "sslpassword" not in parsed, parsed
        assert parsed["port"] == "5"


def test_redact_keeps_a_password_free_dsn_usable() -> None:
    dsn = "postgresql://postgres:@/postgres?host=/tmp/pg"
    assert redact_dsn(redact_dsn(dsn)) == redact_dsn(dsn)


def test_describe_dsn_names_host_and_database_only() -> None:
    text = describe_dsn("postgresql://bob:s3cret@db.example:6543/prod")
    assert text == "host=db.example port=6543 dbname=prod user=bob"
    assert "s3cret" not in describe_dsn("host=db password=s3cret dbname=prod")


@pytest.mark.parametrize(
    "dsn",
    [
        # libpq refuses these while parsing and quotes the offending text
        "host=db passwords3cret dbname=prod",
        "host=db password='s3cret",
        "postgresql://bob:s3cret@db/prod?nonsense_option=1",
    ],
)
def test_invalid_dsn_message_hides_the_password(dsn: str) -> None:
    with pytest.raises(ParityError) as info:
        connect(dsn)
    message = str(info.value)
    assert "s3cret" not in message
    assert "\n" not in message
    assert message.startswith("cannot connect to PostgreSQL")
