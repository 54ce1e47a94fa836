"""Every construct of en/lua/types.md (tests/typed/corpus, snippets written for
these tests) and every Lua file of Wippy's examples repository compiles to plain
Lua that Lua 5.4 loads, line for line."""
from __future__ import annotations

import os
import subprocess
from pathlib import Path

import lupa.lua54 as lupa
import pytest

from wippy.lua.typed import compile

CORPUS = sorted((Path(__file__).parent / "corpus").glob("*.lua"))
# A checkout of wippy-projects/examples (WIPPY_EXAMPLES, default /work/official, as
# bench/official_examples.py uses), else the bare clone `fetch github:wippy-projects/examples`
# makes (WIPPY_EXAMPLES_GIT). Without either the examples test is skipped; the forms those
# files use are in corpus/example_forms.lua, which always runs.
EXAMPLES_DIR = Path(os.environ.get("WIPPY_EXAMPLES", "/work/official"))
EXAMPLES_GIT = Path(os.environ.get("WIPPY_EXAMPLES_GIT",
                                   "/work/.mirror/wippy-projects+examples/repo"))


def loads(source: str) -> str | None:
    rt = lupa.LuaRuntime(register_eval=False)
    return rt.eval("function(s) local f, e = load(s, '=c', 't', {}) return e end")(source)


@pytest.mark.parametrize("path", CORPUS, ids=[p.stem for p in CORPUS])
def test_corpus_compiles_line_for_line(path):
    source = path.read_text()
    assert loads(source) is not None, "corpus files must use type syntax"
    out = compile(source, path.name)
    assert loads(out) is None
    assert out.count("\n") == source.count("\n")
    # Code outside annotations keeps its columns: every line's first token stays put.
    for before, after in zip(source.splitlines()[1:], out.splitlines()[1:]):
        stripped = before.lstrip()
        if stripped and not stripped.startswith(("type ", "export type", "|", "{", "}")) \
                and "=" in before and not before.strip().startswith("--"):
            assert len(before) - len(stripped) == len(after) - len(after.lstrip())


def test_ambiguities_run_as_plain_lua():
    source = (Path(__file__).parent / "corpus" / "ambiguity.lua").read_text()
    rt = lupa.LuaRuntime(register_eval=False)
    env = rt.eval("function() return setmetatable({Result = 1, Map = 1}, {__index = _G}) end")()
    fn = rt.eval("function(s, env) return assert(load(s, '=a', 't', env)) end")(
        compile(source, "ambiguity.lua"), env)
    got = fn()
    assert (got["r1"], got["r2"], got["ne"], got["as"], got["as2"], got["shifted"],
            got["type_name"], got["idiv"]) == (1, 2, True, 5, 5, 2, "number", 3)
    assert got["lt"] is True and got["tbl"]["as"] == 5


def _example_files() -> list[tuple[str, str]]:
    if EXAMPLES_DIR.is_dir():
        return [(str(p.relative_to(EXAMPLES_DIR)), p.read_text())
                for p in sorted(EXAMPLES_DIR.rglob("*.lua")) if ".git" not in p.parts]
    if not (EXAMPLES_GIT / "HEAD").exists():
        return []
    git = ["git", f"--git-dir={EXAMPLES_GIT}"]
    names = subprocess.run(git + ["ls-tree", "-r", "--name-only", "HEAD"], check=True,
                           capture_output=True, text=True).stdout.split()
    return [(n, subprocess.run(git + ["show", f"HEAD:{n}"], check=True, capture_output=True,
                               text=True).stdout) for n in names if n.endswith(".lua")]


def test_every_lua_file_of_the_wippy_examples_compiles():
    files = _example_files()
    if not files:
        pytest.skip(f"no checkout of wippy-projects/examples at {EXAMPLES_DIR} "
                    f"or {EXAMPLES_GIT}")
    typed = 0
    for name, source in files:
        out = compile(source, name)
        assert loads(out) is None, name
        assert out.count("\n") == source.count("\n"), name
        typed += out != source
    assert len(files) >= 80 and typed >= 20   # 85 files, 37 with type syntax (2026-12)


# `fetch github:wippyai/docs` puts a bare clone here (WIPPY_DOCS_GIT to override).
DOCS_GIT = Path(os.environ.get("WIPPY_DOCS_GIT", "/work/.mirror/wippyai+docs/repo"))


def _doc_blocks() -> list[tuple[str, str]]:
    import re
    if not (DOCS_GIT / "HEAD").exists():
        return []
    git = ["git", f"--git-dir={DOCS_GIT}"]
    names = subprocess.run(git + ["ls-tree", "-r", "--name-only", "HEAD", "en"], check=True,
                           capture_output=True, text=True).stdout.split()
    blocks = []
    for name in names:
        if name.endswith(".md"):
            text = subprocess.run(git + ["show", f"HEAD:{name}"], check=True,
                                  capture_output=True, text=True).stdout
            blocks += [(name, m.group(1)) for m in re.finditer(r"```lua\n(.*?)```", text, re.S)]
    return blocks


def test_the_lua_blocks_of_the_wippy_docs_compile():
    from wippy.lua.typed import TypedLuaSyntaxError
    blocks = _doc_blocks()
    if not blocks:
        pytest.skip(f"no clone of wippyai/docs at {DOCS_GIT}")
    failed = []
    for name, source in blocks:
        try:
            compile(source, name)
        except TypedLuaSyntaxError as exc:
            failed.append((name, exc.excerpt))
    # The rest are fragments no Lua accepts: signatures (`tonumber(s [,base])`), bare
    # constants (`http.STATUS.CREATED -- 201`), chained calls cut from their receiver.
    # (2026-12 snapshot: 990 of 1063 compile.)
    assert len(failed) <= 0.08 * len(blocks), failed
    types_md = [f for f in failed if f[0] == "en/lua/types.md"]
    # Its one failing block shows checker errors as code (`u.foo` is not a statement).
    assert [excerpt.split("--")[0].strip() for _, excerpt in types_md] == ["local n: number = u"]
