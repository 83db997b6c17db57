"""Mutation score of the safety core, per file, after ``mutmut run``.

Usage (README, "Testing")::

    .venv/bin/mutmut run --max-children 2      # ~4 min on 2 cores; writes mutants/
    .venv/bin/python -m tests.mutation.score   # the table; --survivors lists each survivor's diff

Reads mutmut 3's results (``mutants/<file>.meta``: exit code by mutant; 1 or 3 killed, 0
survived, 5 / 33 no test ran it, 36 timeout) and the mutated sources beside them. Each
mutant is classified by comparing its function's syntax tree with the original:

- **text**: only string constants that are message or journal text changed (inside an
  f-string, a ``CommandRejected``/``_fail`` reason, a ``log.*`` call, a ``text=`` keyword or a
  ``msg`` / ``parts`` string that becomes a message);
- **logic**: anything else (comparisons, numbers, rule names, flags, calls, arguments).

Survivors named in ``docs/testing.md`` (a line starting with ``- `<mutant name>` ``) are
counted as **equivalent** (no test can kill them: the program behaves the same).

Scores: killed / (mutants - equivalent); logic score: killed logic / (logic mutants -
equivalent logic). Exit status 1 when the overall score is below ``--min`` (default 90) or
the logic score below ``--min-logic`` (default 98), so the command can gate a release.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
MUTANTS = ROOT / "mutants"
EQUIVALENTS_DOC = ROOT / "docs" / "testing.md"

KILLED = {1, 3, 36, 24, -24, 152, 255}   # a failing test, pytest internal error, or a timeout
SURVIVED = {0}
NO_TESTS = {5, 33}
# exit code None: not run yet (a `mutmut run NAME*` of other mutants); left out of every count

#: functions whose only output is text for people (descriptions, number formatting, counts);
#: their mutants are "text" (tests still pin the confirmation texts they write)
TEXT_FUNCTIONS = {"_count", "_describe", "_safe_describe", "_describe_record", "_symbol",
                  "describe_command", "describe_change", "_orders_word", "_symbol_of",
                  "fmt_number", "_lower_first", "_unit", "describe", "_fmt_qty", "_decimals",
                  "_fmt_price"}
#: call name -> argument positions that are text ("*" = every argument)
_TEXT_CALLS = {"CommandRejected": {0}, "OrderValidationError": {0}, "ValueError": {0},
               "KeyError": {0}, "_fail": {2}, "_ok": {0}, "_api": {2}, "_count": "*",
               "info": "*", "warning": "*", "exception": "*", "debug": "*", "error": "*"}
_LOG_CALLS = {"info", "warning", "exception", "debug", "error"}
#: keyword arguments whose values are text
_TEXT_KEYWORDS = {"text", "reason"}
#: variables that only hold a message being built, and lists of message parts
_TEXT_NAMES = {"msg", "parts", "what", "text", "label", "of", "ids", "px", "ot", "failed"}


@dataclass
class FileScore:
    path: str
    total: int = 0
    killed: int = 0
    survived: list[str] = field(default_factory=list)
    no_tests: list[str] = field(default_factory=list)
    logic_total: int = 0
    logic_killed: int = 0
    equivalent: list[str] = field(default_factory=list)
    kinds: dict[str, str] = field(default_factory=dict)

    def score(self) -> float:
        n = self.total - len(self.equivalent)
        return 100.0 * self.killed / n if n else 100.0

    def logic_score(self) -> float:
        eq = sum(1 for m in self.equivalent if self.kinds.get(m) == "logic")
        n = self.logic_total - eq
        return 100.0 * self.logic_killed / n if n else 100.0


def _functions(tree: ast.AST) -> dict[str, ast.AST]:
    out = {}
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = node
    return out


def _parents(tree: ast.AST) -> dict[ast.AST, ast.AST]:
    return {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}


def _call_name(call: ast.Call) -> str:
    f = call.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _base_name(fn: str) -> str:
    """``x_fmt_number__mutmut_3`` / ``xǁOrderRequestǁdescribe__mutmut_orig`` -> the function's name."""
    name = re.sub(r"__mutmut_(\d+|orig)$", "", fn)
    return name.rsplit("ǁ", 1)[-1] if "ǁ" in name else name[2:] if name.startswith("x_") else name


def _in_text_context(node: ast.AST, parents: dict) -> bool:
    """True when ``node`` only feeds text for people: an f-string, a reason / log / journal
    ``text=`` argument, or a variable that holds a message."""
    if isinstance(node, ast.Call) and _call_name(node) in _LOG_CALLS:
        return True
    child, p = node, parents.get(node)
    while p is not None:
        if isinstance(p, ast.JoinedStr):
            return True
        if isinstance(p, ast.keyword):
            return p.arg in _TEXT_KEYWORDS
        if isinstance(p, ast.Call):
            name = _call_name(p)
            if isinstance(p.func, ast.Attribute) and p.func.value is child:   # "sep".join(...)
                if name != "join":
                    return False
            elif name in _TEXT_CALLS and child in p.args:
                pos = _TEXT_CALLS[name]
                return pos == "*" or p.args.index(child) in pos
            elif name == "append" and isinstance(p.func, ast.Attribute):
                return isinstance(p.func.value, ast.Name) and p.func.value.id in _TEXT_NAMES
        elif isinstance(p, (ast.Assign, ast.AugAssign)):
            targets = p.targets if isinstance(p, ast.Assign) else [p.target]
            return all(isinstance(t, ast.Name) and t.id in _TEXT_NAMES for t in targets)
        elif isinstance(p, (ast.If, ast.While, ast.Return, ast.Subscript, ast.Dict, ast.Set,
                            ast.FunctionDef, ast.Lambda, ast.Expr, ast.Raise, ast.For, ast.With,
                            ast.Try, ast.AnnAssign)):
            return False
        child, p = p, parents.get(p)
    return False


def classify(orig: ast.AST, mutant: ast.AST) -> str:
    """"text" when every difference between the two functions only feeds text for people
    (or the function only makes text: ``TEXT_FUNCTIONS``), else "logic"."""
    if _base_name(getattr(orig, "name", "")) in TEXT_FUNCTIONS:
        return "text"
    po, pm = _parents(orig), _parents(mutant)

    def differ(a: ast.AST, b: ast.AST) -> bool:   # a difference at (a, b): text only?
        return _in_text_context(a, po) and _in_text_context(b, pm)

    def walk(a: ast.AST, b: ast.AST) -> bool:   # True: the differences are text only
        if type(a) is not type(b):
            return differ(a, b)
        if isinstance(a, ast.Constant):
            return (a.value == b.value and type(a.value) is type(b.value)) or differ(a, b)
        for name, va in ast.iter_fields(a):
            if name in ("name", "type_comment"):   # the mutant's function name
                continue
            vb = getattr(b, name, None)
            if isinstance(va, list):
                if not isinstance(vb, list) or len(va) != len(vb):
                    return differ(a, b)
                for x, y in zip(va, vb):
                    if isinstance(x, ast.AST):
                        if not walk(x, y):
                            return False
                    elif x != y:
                        return differ(a, b)
            elif isinstance(va, ast.AST):
                if not isinstance(vb, ast.AST):
                    return differ(a, b)
                if not walk(va, vb):
                    return False
            elif va != vb:
                return differ(a, b)
        return True

    return "text" if walk(orig, mutant) else "logic"


def _orig_name(mutant: str) -> str:
    return re.sub(r"__mutmut_\d+$", "__mutmut_orig", mutant)


def diff(functions: dict[str, ast.AST], fn: str) -> str:
    """The unified diff of mutant ``fn`` against its original, as source lines."""
    a = ast.unparse(functions[_orig_name(fn)]).splitlines()
    b = ast.unparse(functions[fn]).splitlines()
    return "\n".join(line for line in difflib.unified_diff(a, b, lineterm="", n=0)
                     if not line.startswith(("---", "+++", "@@")))


def equivalents() -> set[str]:
    """Mutant names listed in docs/testing.md as equivalent."""
    if not EQUIVALENTS_DOC.exists():
        return set()
    return set(re.findall(r"^\s*- `([^`]+__mutmut_\d+)`", EQUIVALENTS_DOC.read_text("utf-8"), re.M))


def scores() -> tuple[list[FileScore], dict[str, str]]:
    """Per-file scores and, per surviving mutant, its diff."""
    eq = equivalents()
    out, diffs = [], {}
    for meta in sorted(MUTANTS.rglob("*.py.meta")):
        src = meta.with_suffix("")
        rel = str(src.relative_to(MUTANTS))
        codes = json.loads(meta.read_text("utf-8"))["exit_code_by_key"]
        if not codes:
            continue
        functions = _functions(ast.parse(src.read_text("utf-8")))
        fs = FileScore(rel)
        for key, code in sorted(codes.items()):
            if code is None:   # not run (``mutmut run <names>`` ran others)
                continue
            fn = key.rsplit(".", 1)[-1]
            kind = classify(functions[_orig_name(fn)], functions[fn]) if fn in functions else "logic"
            fs.kinds[key] = kind
            fs.total += 1
            fs.logic_total += kind == "logic"
            if code in KILLED:
                fs.killed += 1
                fs.logic_killed += kind == "logic"
            else:
                (fs.no_tests if code in NO_TESTS else fs.survived).append(key)
                if key in eq:
                    fs.equivalent.append(key)
                if fn in functions:
                    diffs[key] = diff(functions, fn)
        out.append(fs)
    return out, diffs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--survivors", action="store_true", help="print each survivor's diff")
    ap.add_argument("--logic-only", action="store_true", help="with --survivors: logic mutants only")
    ap.add_argument("--min", type=float, default=90.0, help="required overall score, %%")
    ap.add_argument("--min-logic", type=float, default=98.0, help="required logic score, %%")
    args = ap.parse_args(argv)
    if not MUTANTS.exists():
        print("no mutants/ folder: run `mutmut run` first", file=sys.stderr)
        return 2
    files, diffs = scores()
    rows = [("file", "mutants", "killed", "survived", "no test", "equivalent", "score",
             "logic score")]
    tot = FileScore("total")
    for fs in files:
        rows.append((fs.path, fs.total, fs.killed, len(fs.survived), len(fs.no_tests),
                     len(fs.equivalent), f"{fs.score():.1f} %", f"{fs.logic_score():.1f} %"))
        tot.total += fs.total
        tot.killed += fs.killed
        tot.survived += fs.survived
        tot.no_tests += fs.no_tests
        tot.logic_total += fs.logic_total
        tot.logic_killed += fs.logic_killed
        tot.equivalent += fs.equivalent
        tot.kinds.update(fs.kinds)
    rows.append(("total", tot.total, tot.killed, len(tot.survived), len(tot.no_tests),
                 len(tot.equivalent), f"{tot.score():.1f} %", f"{tot.logic_score():.1f} %"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w)
                        for i, (c, w) in enumerate(zip(r, widths))))
    eq = equivalents()
    if args.survivors:
        for key in sorted(tot.survived + tot.no_tests):
            if key in eq or (args.logic_only and tot.kinds.get(key) != "logic"):
                continue
            status = "no test" if key in tot.no_tests else "survived"
            print(f"\n## {key} ({status}, {tot.kinds.get(key)})\n{diffs.get(key, '')}")
    stale = eq - set(tot.kinds)
    if stale:
        print(f"\n{len(stale)} mutants named in docs/testing.md no longer exist: "
              + ", ".join(sorted(stale)[:5]), file=sys.stderr)
    wrongly = [k for k in eq if k in tot.kinds and k not in tot.survived + tot.no_tests]
    if wrongly:
        print(f"\n{len(wrongly)} mutants named equivalent in docs/testing.md are killed: "
              + ", ".join(sorted(wrongly)[:5]), file=sys.stderr)
    ok = tot.score() >= args.min and tot.logic_score() >= args.min_logic
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
