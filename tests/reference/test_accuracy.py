"""The engine on a labelled set of messy rows: the issue's targets, counted (not timed)."""

from registry.reference.engine import get_identifier
from tests.reference.labelled import generate, score


def test_the_engine_meets_its_targets_on_messy_rows(starter):
    rows = generate(3000, seed=7)
    result = score(get_identifier(None), rows)
    assert result.makes_right >= 0.99 * result.rows, result.percent(result.makes_right)
    assert result.models_right >= 0.97 * result.rows, result.percent(result.models_right)
    assert result.wrong <= 0.005 * result.rows, result.wrong_rows[:10]


def test_the_labelled_set_is_really_messy():
    rows = generate(3000, seed=7)
    noisy = [row for row in rows if row.noise != "clean"]
    assert len(noisy) > 0.6 * len(rows)
    assert any(row.noise.startswith("swapped") or ", swapped" in row.noise for row in rows)
    assert any("combined in make cell" in row.noise for row in rows)
