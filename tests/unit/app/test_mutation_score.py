"""tests/mutation/score.py: the text / logic classification of mutants and the per-file
score read from mutmut's results (the numbers the issue's "done when" is judged by)."""

from __future__ import annotations

import ast
import json
import textwrap

import pytest

from tests.mutation import score


def _pair(orig: str, mutant: str, name: str = "x_check__mutmut") -> str:
    """classify() of two versions of one function body."""
    o = ast.parse(f"def {name}_orig(a, b):\n" + textwrap.indent(textwrap.dedent(orig), "    ")).body[0]
    m = ast.parse(f"def {name}_1(a, b):\n" + textwrap.indent(textwrap.dedent(mutant), "    ")).body[0]
    return score.classify(o, m)


@pytest.mark.parametrize("orig, mutant", [
    # wording of a reason, a log line, the journal's text, a message being built
    ('raise CommandRejected(f"Cannot {a}", rule="halted")',
     'raise CommandRejected(f"XXCannot {a}XX", rule="halted")'),
    ('raise CommandRejected("Cannot place", rule="halted")',
     'raise CommandRejected("XXCannot placeXX", rule="halted")'),
    ('log.info("%s", a)', 'log.info(None, a)'),
    ('log.info("%s", a)', 'log.info("%s")'),
    ('self.record("check", result="passed", text=a)', 'self.record("check", result="passed", text=None)'),
    ('return _fail(a, "max_position", f"Position {b}")', 'return _fail(a, "max_position", f"Position {None}")'),
    ('msg = ", ".join(a)', 'msg = "XX, XX".join(a)'),
    ('parts.append(f"{a} placed")', 'parts.append(f"{a} XXplacedXX")'),
    ('return f"{a} {b}{\'\' if a == 1 else \'s\'}"', 'return f"{a} {b}{\'\' if a != 1 else \'s\'}"'),
])
def test_message_and_journal_text_changes_are_text(orig, mutant):
    """A mutant that only changes what people read (reasons, logs, journal text) is "text"."""
    assert _pair(orig, mutant) == "text"


@pytest.mark.parametrize("orig, mutant", [
    ('if a > b:\n    return 1', 'if a >= b:\n    return 1'),
    ('raise CommandRejected("Cannot place", rule="halted")',
     'raise CommandRejected("Cannot place", rule="XXhaltedXX")'),
    ('raise CommandRejected("Cannot place", rule="halted", soft=True)',
     'raise CommandRejected("Cannot place", rule="halted", soft=False)'),
    ('return _fail(a, "max_position", f"Position {b}")', 'return _fail(None, "max_position", f"Position {b}")'),
    ('return _fail(a, "max_position", f"Position {b}")', 'return _fail(a, "XXmax_positionXX", f"Position {b}")'),
    ('self.record("check", result="passed", text=a)', 'self.record("XXcheckXX", result="passed", text=a)'),
    ('self.record("check", result="passed", text=a)', 'self.record("check", result="XXpassedXX", text=a)'),
    ('if a == "MKT":\n    return b', 'if a == "XXMKTXX":\n    return b'),
    ('plan.requests.append(a)', 'plan.requests.append(None)'),
    ('return self.session.place_order(a)', 'return None'),
])
def test_changes_of_behaviour_are_logic(orig, mutant):
    """Comparisons, rule names, soft flags, journal kinds and fields, calls: "logic"."""
    assert _pair(orig, mutant) == "logic"


def test_functions_that_only_write_text_are_text():
    """Every mutant of a description function (TEXT_FUNCTIONS) is "text"."""
    assert _pair("return a if b else None", "return None", name="x__describe_record__mutmut") == "text"
    assert _pair("return a if b else None", "return None", name="xǁOrderRequestǁdescribe__mutmut") == "text"
    assert _pair("return a if b else None", "return None", name="x_check_rate__mutmut") == "logic"


def _fake_run(tmp_path, monkeypatch, codes: dict[str, int | None], doc: str = "") -> None:
    src = textwrap.dedent('''
        def x_f__mutmut_orig(a):
            if a > 1:
                raise CommandRejected(f"too big {a}", rule="big")
        def x_f__mutmut_1(a):
            if a >= 1:
                raise CommandRejected(f"too big {a}", rule="big")
        def x_f__mutmut_2(a):
            if a > 1:
                raise CommandRejected(f"XXtoo big {a}XX", rule="big")
        def x_f__mutmut_3(a):
            if a > 2:
                raise CommandRejected(f"too big {a}", rule="big")
        def x_f__mutmut_4(a):
            if a > 1:
                raise CommandRejected(f"too big {a}", rule="XXbigXX")
    ''')
    mutants = tmp_path / "mutants" / "app"
    mutants.mkdir(parents=True)
    (mutants / "m.py").write_text(src)
    (mutants / "m.py.meta").write_text(json.dumps(
        {"exit_code_by_key": {f"app.m.x_f__mutmut_{k}": v for k, v in codes.items()}}))
    docs = tmp_path / "testing.md"
    docs.write_text(doc)
    monkeypatch.setattr(score, "MUTANTS", tmp_path / "mutants")
    monkeypatch.setattr(score, "EQUIVALENTS_DOC", docs)


def test_scores_count_killed_survivors_equivalents_and_skip_mutants_not_run(tmp_path, monkeypatch):
    """Score = killed / (run - equivalent); logic score over logic mutants; not run = left out."""
    _fake_run(tmp_path, monkeypatch, {1: 1, 2: 0, 3: 0, 4: None},
              doc="- `app.m.x_f__mutmut_3`: a > 2 and a > 1 differ only for a = 2, never passed\n")
    (fs,), diffs = score.scores()
    assert (fs.total, fs.killed, fs.survived, fs.equivalent) == (
        3, 1, ["app.m.x_f__mutmut_2", "app.m.x_f__mutmut_3"], ["app.m.x_f__mutmut_3"])
    assert fs.kinds == {"app.m.x_f__mutmut_1": "logic", "app.m.x_f__mutmut_2": "text",
                        "app.m.x_f__mutmut_3": "logic"}
    assert fs.score() == pytest.approx(50.0)          # 1 killed of 2 that count
    assert fs.logic_score() == pytest.approx(100.0)   # the logic survivor is equivalent
    assert "-    if a > 1:" in diffs["app.m.x_f__mutmut_3"] and "+    if a > 2:" in diffs["app.m.x_f__mutmut_3"]


def test_main_fails_below_the_required_scores(tmp_path, monkeypatch, capsys):
    """The command exits 1 when a logic mutant survives unexplained, 0 when the targets are met."""
    _fake_run(tmp_path, monkeypatch, {1: 1, 2: 1, 3: 0, 4: 1})
    assert score.main([]) == 1
    assert "75.0 %" in capsys.readouterr().out
    _fake_run(tmp_path / "b", monkeypatch, {1: 1, 2: 1, 3: 1, 4: 1})
    assert score.main([]) == 0
