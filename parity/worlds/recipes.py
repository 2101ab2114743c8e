"""The recipes of the ready-made worlds: a symbol's live rows replayed from its
trades, the simulated demo world and the real-data world.

- `replay_symbol`: read a symbol's trades, run `parity_fixtures.replay.replay_live_rows`
  and append the rows to the three live tables (``parity replay``).
- `build_demo_world`: ``DEMO-USD``, simulated trades and candles plus 25 hours
  of replayed live rows at the end (``parity fixtures demo``).
- `build_real_world`: the real XRP/ETH tape and candles with 25 hours of
  replayed live rows, plus candle-only symbols (``parity fixtures real``).

A world is marked as built in ``parity_meta.parity_fixtures`` (`parity.db.meta`;
one row per world: the parameters it was built with and what it holds), never
in the live tables; building it again with the same parameters does nothing.
Like ``parity.db``, nothing here commits: the caller owns the transaction, so a
failure leaves nothing half-built.  Details: ``docs/fixtures.md``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import psycopg2.extensions

from calculators.params import Params
from calculators.timeutil import utc_time
from calculators.trades import candles_from_trades
from parity.db.live import count_live_rows, delete_live_rows, delete_symbol_rows
from parity.db.meta import ensure_meta, lock_world, read_marker, write_marker
from parity.db.schema import apply_schema, ensure_symbol, symbol_info
from parity.db.store import read_trades, write_candles, write_live_rows, write_trades
from parity.errors import ParityError
from parity.io.tables import candles_frame, read_table, trades_frame
from parity_fixtures.replay import DEFAULT_WINDOW, Imperfections, LiveRows, replay_live_rows
from parity_fixtures.simulator import simulate

__all__ = [
    "DEMO_DAYS",
    "DEMO_SEED",
    "DEMO_SYMBOL",
    "REAL_CANDLE_FILES",
    "REAL_TRADE_SYMBOL",
    "ReplayOutcome",
    "WorldOutcome",
    "build_demo_world",
    "build_real_world",
    "replay_symbol",
]

Connection = psycopg2.extensions.connection

DEMO_SYMBOL = "DEMO-USD"
DEMO_TICK_SIZE = 0.01
DEMO_START = "2025-01-01T00:00:00Z"
DEMO_START_PRICE = 100.0
DEMO_DAYS = 30
DEMO_SEED = 1

#: The real tape replayed into live rows: symbol, tick size, trades file, candles file.
REAL_TRADE_SYMBOL = (
    "XRPETH",
    1e-8,
    "xrpeth-trades-2019-10-11.csv.gz",
    "xrpeth-1m-2019-10-11.csv.gz",
)
#: Candle-only symbols of the real world (tick size inferred from the prices).
REAL_CANDLE_FILES = (
    ("BTCPERP", "btcperp-1m-2022-01.csv.gz"),
    ("ALTBTC", "altbtc-1m-2017-11-05.csv.gz"),
    ("LINKUSDT", "linkusdt-perp-1m-2023-02.csv.gz"),
    ("AVAXUSDT", "avaxusdt-perp-1m-2023-09.csv.gz"),
    ("DOTUSDT", "dotusdt-perp-1m-2024-11.csv.gz"),
)
# Bump when a world's construction changes, so stored worlds are rebuilt.
# 2: candles keep the files' buy_volume (the perpetual symbols of the real world).
_WORLD_VERSION = 2
_MINUTE = pd.Timedelta(minutes=1)


# ----------------------------------------------------------------------------- replay


@dataclass(frozen=True, slots=True)
class ReplayOutcome:
    """What `replay_symbol` did: the rows (``live``), the trades read, the rows
    deleted first (``--replace``) and written, and the seconds it took."""

    symbol: str
    symbol_id: int
    live: LiveRows
    trades_read: int
    rows_deleted: int
    rows_written: int
    seconds: float


def replay_symbol(
    conn: Connection,
    symbol: str,
    *,
    start: str | pd.Timestamp | None = None,
    end: str | pd.Timestamp | None = None,
    params: Params | None = None,
    imperfections: Imperfections | None = None,
    seed: int = 0,
    replace: bool = False,
) -> ReplayOutcome:
    """Replay ``symbol``'s stored trades into the live tables for bars opened in ``[start, end)``.

    The window defaults to the last 25 hours of the stored trades (``end`` =
    the last trade's minute + 1 minute).  Every trade before ``end`` is read,
    so the first bars have their warm-up.  Rows already stored for the window
    (rows written at ``[start + 1 min, end + 1 min)``, the window's bars by the
    timing rule) make it refuse unless ``replace``, which deletes them first.
    Never touches ``candles`` or ``trades``.  No commit.  Raises `ParityError`
    for an unknown symbol, a symbol without trades or stored rows without
    ``replace``.
    """
    began = time.perf_counter()
    symbol_id, _ = symbol_info(conn, symbol)
    with conn.cursor() as cur:
        cur.execute("SELECT count(*), max(ts) FROM trades WHERE symbol_id = %s", (symbol_id,))
        count, last = cur.fetchone()
    if not count:
        raise ParityError(f"symbol {symbol!r} has no trades to replay (load them first)")
    end_t = (
        utc_time(end, "end")
        if end is not None
        else pd.Timestamp(last).tz_convert("UTC").floor("min") + _MINUTE
    )
    start_t = utc_time(start, "start") if start is not None else end_t - DEFAULT_WINDOW
    trades = read_trades(conn, symbol_id, end=end_t)
    if trades.empty:
        raise ParityError(f"symbol {symbol!r} has no trades before {end_t.isoformat()}")
    live = replay_live_rows(
        trades, params, start=start_t, end=end_t, imperfections=imperfections, seed=seed
    )
    existing = count_live_rows(conn, symbol_id, live.start, live.end)
    deleted = 0
    if existing:
        if not replace:
            raise ParityError(
                f"symbol {symbol!r} already has {existing:,} live rows for bars in "
                f"[{live.start.isoformat()}, {live.end.isoformat()}); "
                "pass --replace to delete them and replay"
            )
        deleted = delete_live_rows(conn, symbol_id, live.start, live.end)
    written = write_live_rows(conn, symbol_id, **live.frames())
    return ReplayOutcome(
        symbol, symbol_id, live, len(trades), deleted, written, time.perf_counter() - began
    )


# ----------------------------------------------------------------------------- worlds


@dataclass(frozen=True, slots=True)
class WorldOutcome:
    """What a world build did: ``built`` False when the world was already there
    (nothing written); ``summary`` what the world holds; ``lines`` notes on
    the build; ``replay`` the replay it ran (None when nothing was built);
    ``seconds`` the wall time.  The command line words them for the user."""

    name: str
    built: bool
    summary: dict[str, Any]
    lines: list[str] = field(default_factory=list)
    seconds: float = 0.0
    replay: ReplayOutcome | None = None


def _existing_world(
    conn: Connection, name: str, params: dict[str, Any], symbol: str, lines: list[str]
) -> dict[str, Any] | None:
    """The marker of world ``name`` when it was built with ``params`` and its
    rows still match (nothing to do), else None, with a line saying why it
    must be (re)built.  Applies the schema and takes the world's lock first."""
    apply_schema(conn)
    ensure_meta(conn)
    lock_world(conn, name)
    marker = read_marker(conn, name)
    if marker is None:
        return None
    if marker["params"] != params:
        lines.append(f"the {name} world was built with other parameters: rebuilding it")
        return None
    if not _holds(conn, symbol, marker["summary"]):
        lines.append(f"the {name} world's rows changed since it was built: rebuilding it")
        return None
    lines.append(
        f"{name} world already built (built {marker['built_at']:%Y-%m-%d %H:%M:%S %Z}): nothing to do"
    )
    return marker


def build_demo_world(
    conn: Connection, *, days: float = DEMO_DAYS, seed: int = DEMO_SEED
) -> WorldOutcome:
    """Make sure the demo world exists: ``DEMO-USD`` (tick 0.01), ``days`` days of
    simulated trades and candles from 2025-01-01 (`parity_fixtures.simulator.simulate`
    with ``seed``) and the live rows of the last 25 hours, replayed with the
    default imperfections and ``seed``.

    Does nothing when the marker says it was built with the same parameters
    and the stored candles and live rows still match it.  Otherwise every row
    of ``DEMO-USD`` (trades, candles, live rows) is deleted and the world is
    rebuilt: the demo symbol belongs to this fixture.  No commit.
    """
    began = time.perf_counter()
    if days < 2:
        raise ParityError(f"--days {days!r}: the demo world needs at least 2 days")
    params = {
        "version": _WORLD_VERSION,
        "symbol": DEMO_SYMBOL,
        "tick_size": DEMO_TICK_SIZE,
        "start": DEMO_START,
        "start_price": DEMO_START_PRICE,
        "days": float(days),
        "seed": int(seed),
        "imperfections": Imperfections().to_dict(),
        "params_digest": Params().digest(),
    }
    lines: list[str] = []
    marker = _existing_world(conn, "demo", params, DEMO_SYMBOL, lines)
    if marker is not None:
        return WorldOutcome("demo", False, marker["summary"], lines, time.perf_counter() - began)

    symbol_id = ensure_symbol(conn, DEMO_SYMBOL, DEMO_TICK_SIZE)
    removed = delete_symbol_rows(conn, symbol_id)
    if removed:
        lines.append(f"deleted {removed:,} old rows of {DEMO_SYMBOL}")
    t0 = time.perf_counter()
    result = simulate(
        days, seed, start=DEMO_START, start_price=DEMO_START_PRICE, tick_size=DEMO_TICK_SIZE
    )
    trades = result.trades
    # The demo's candles are OHLCV only, like most desks' bar data: the demo
    # measures the candle estimates (the true per-bar buy volume stays unused).
    candles = candles_from_trades(trades).drop(columns="buy_volume")
    t1 = time.perf_counter()
    n_trades = write_trades(conn, symbol_id, trades)
    n_candles = write_candles(conn, symbol_id, candles)
    t2 = time.perf_counter()
    replay = replay_symbol(conn, DEMO_SYMBOL, seed=seed)
    lines.append(
        f"simulated {DEMO_SYMBOL}: {days:g} days, {len(trades):,} trades, "
        f"{len(candles):,} candles ({t1 - t0:.2f} s); stored in {t2 - t1:.2f} s"
    )
    summary = {
        "symbols": {
            DEMO_SYMBOL: {
                "trades": n_trades,
                "candles": n_candles,
                "first_candle": candles.index[0].isoformat(),
                "last_candle": candles.index[-1].isoformat(),
            }
        },
        "replay": _replay_summary(replay),
    }
    write_marker(conn, "demo", params, summary)
    return WorldOutcome("demo", True, summary, lines, time.perf_counter() - began, replay)


def build_real_world(conn: Connection, data_dir: str | Path, *, seed: int = 0) -> WorldOutcome:
    """Make sure the real-data world exists.

    Loads ``XRPETH`` (tick 1e-8) trades and candles, replays the live rows of
    the last 25 hours of its trades (default imperfections, ``seed``), and loads
    the candle-only symbols of `REAL_CANDLE_FILES`.  Every file is read and
    validated before the database is touched; a missing one raises
    `ParityError` naming it.  Loads are idempotent (stored rows are kept);
    the replay window's live rows are replaced.  Does nothing when the
    marker says it was built from the same files (names and sizes).  No commit.
    """
    began = time.perf_counter()
    data_dir = Path(data_dir)
    symbol, tick, trades_name, candles_name = REAL_TRADE_SYMBOL
    names = [trades_name, candles_name, *(name for _, name in REAL_CANDLE_FILES)]
    for name in names:
        if not (data_dir / name).is_file():
            raise ParityError(f"real data file not found: {data_dir / name} (see --data-dir)")
    params = {
        "version": _WORLD_VERSION,
        "files": {name: (data_dir / name).stat().st_size for name in names},
        "replay": {
            "symbol": symbol,
            "seed": int(seed),
            "imperfections": Imperfections().to_dict(),
            "params_digest": Params().digest(),
        },
    }
    lines: list[str] = []
    marker = _existing_world(conn, "real", params, symbol, lines)
    if marker is not None:
        return WorldOutcome("real", False, marker["summary"], lines, time.perf_counter() - began)

    # Read and validate every file first.
    t0 = time.perf_counter()
    tape = trades_frame(read_table(data_dir / trades_name))
    frames = {symbol: candles_frame(read_table(data_dir / candles_name))}
    for other, name in REAL_CANDLE_FILES:
        frames[other] = candles_frame(read_table(data_dir / name))
    t1 = time.perf_counter()
    lines.append(f"read and validated {len(names)} files from {data_dir} in {t1 - t0:.2f} s")

    summary: dict[str, Any] = {"symbols": {}}
    trade_symbol_id = ensure_symbol(conn, symbol, tick)
    n_trades = write_trades(conn, trade_symbol_id, tape)
    for name, frame in frames.items():
        prices = frame[["open", "high", "low", "close"]].to_numpy()
        symbol_id = ensure_symbol(conn, name, tick if name == symbol else None, prices)
        inserted = write_candles(conn, symbol_id, frame)
        entry = {
            "candles": len(frame),
            "candles_inserted": inserted,
            "first_candle": frame.index[0].isoformat(),
            "last_candle": frame.index[-1].isoformat(),
        }
        if name == symbol:
            entry |= {"trades": len(tape), "trades_inserted": n_trades}
        summary["symbols"][name] = entry
        lines.append(
            f"{name}: {len(frame):,} candles ({inserted:,} new)"
            + (f", {len(tape):,} trades ({n_trades:,} new)" if name == symbol else "")
        )
    t2 = time.perf_counter()
    lines.append(f"stored in {t2 - t1:.2f} s")
    replay = replay_symbol(conn, symbol, seed=seed, replace=True)
    summary["replay"] = _replay_summary(replay)
    write_marker(conn, "real", params, summary)
    return WorldOutcome("real", True, summary, lines, time.perf_counter() - began, replay)


def _replay_summary(outcome: ReplayOutcome) -> dict[str, Any]:
    return {
        "symbol": outcome.symbol,
        "start": outcome.live.start.isoformat(),
        "end": outcome.live.end.isoformat(),
        "rows_per_table": outcome.live.rows_per_table,
        "injected": outcome.live.injected.to_dict(),
    }


def _holds(conn: Connection, symbol: str, summary: dict[str, Any]) -> bool:
    """True when ``symbol``'s stored candles (in the span the world loaded) and live
    rows (in the replay window) still match a world's summary."""
    try:
        symbol_id, _ = symbol_info(conn, symbol)
        loaded = summary["symbols"][symbol]
        first, last = utc_time(loaded["first_candle"]), utc_time(loaded["last_candle"])
        replay = summary["replay"]
        start, end = utc_time(replay["start"]), utc_time(replay["end"])
        expected_live = 3 * int(replay["rows_per_table"])
        expected_candles = int(loaded["candles"])
    except (ParityError, KeyError, TypeError, ValueError):  # InvalidInputError is a ValueError
        return False
    with conn.cursor() as cur:
        cur.execute(
            "SELECT count(*) FROM candles WHERE symbol_id = %s AND ts >= %s AND ts <= %s",
            (symbol_id, first.to_pydatetime(), last.to_pydatetime()),
        )
        candles = int(cur.fetchone()[0])
    return candles == expected_candles and (
        count_live_rows(conn, symbol_id, start, end) == expected_live
    )
