import os
import stat

import pytest
import yaml

from wippy.errors import ConfigErrors
from wippy.registry.lockfile import Lock, init_lock, read_lock, render_lock, write_lock


def test_fresh_lock_matches_go_output(tmp_path):
    path = tmp_path / "wippy.lock"
    init_lock(path)
    assert path.read_text() == "directories:\n    modules: .wippy\n    src: ./src\n"
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert not (tmp_path / "src").exists()  # init does not create the source dir


def test_init_keeps_modules_and_replacements(tmp_path):
    (tmp_path / "lib").mkdir()
    path = tmp_path / "wippy.lock"
    path.write_text(
        "directories:\n  modules: old\n  src: old\n"
        "modules:\n  - {name: b/two, version: v2}\n  - {name: a/one, version: v1, hash: h1}\n"
        "  - {name: b/two, version: v3}\n"
        "replacements:\n  - {from: a/one, to: ./lib}\n")
    init_lock(path, src_dir="./code", modules_dir=".mods")
    lock = read_lock(path)
    assert (lock.src_dir, lock.modules_dir) == ("./code", ".mods")
    # sorted and de-duplicated (the last definition of b/two wins), 4-space style
    assert [m["name"] for m in lock.modules] == ["a/one", "b/two"]
    assert lock.modules[1]["version"] == "v3"
    text = path.read_text()
    assert "modules:\n    - name: a/one\n      version: v1\n      hash: h1\n" in text
    assert "replacements:\n    - from: a/one\n      to: ./lib\n" in text


def test_init_repairs_missing_directories(tmp_path):
    path = tmp_path / "wippy.lock"
    path.write_text("modules: []\n")
    init_lock(path)
    assert read_lock(path).src_dir == "./src"


def test_render_quotes_when_needed_and_round_trips(tmp_path):
    lock = Lock(src_dir="./my src: x", modules_dir="yes", options={"unpack_modules": True})
    text = render_lock(lock)
    data = yaml.safe_load(text)
    assert data["directories"] == {"modules": "yes", "src": "./my src: x"}
    assert data["options"] == {"unpack_modules": True}
    assert "replacements" not in data and "modules" not in data  # empty sections omitted
    path = tmp_path / "wippy.lock"
    write_lock(path, lock)
    again = read_lock(path)
    assert (again.src_dir, again.modules_dir) == (lock.src_dir, lock.modules_dir)


def test_paths_are_relative_to_the_lock_file(tmp_path):
    (tmp_path / "proj" / "src").mkdir(parents=True)
    path = tmp_path / "proj" / "wippy.lock"
    init_lock(path)
    lock = read_lock(path)
    assert lock.src_path == (tmp_path / "proj" / "src").resolve()
    assert lock.load_paths() == [lock.src_path]


def test_invalid_lock_names_every_problem(tmp_path):
    path = tmp_path / "wippy.lock"
    path.write_text("directories:\n  src: ''\n"
                    "modules:\n  - {name: nope, version: v1}\n  - {name: a/b}\n"
                    "replacements:\n  - {from: a/b, to: ./missing}\n"
                    "extra: 1\n")
    with pytest.raises(ConfigErrors) as info:
        read_lock(path)
    text = str(info.value)
    for fragment in ("extra: unknown section", "directories.src: src directory is required",
                     "directories.modules: modules directory is required",
                     "modules[0].name: module name must be org/module",
                     "modules[1].version: module version is required",
                     "replacements[0].to: replacement path ./missing does not exist"):
        assert fragment in text
    assert all(str(path) in str(e) for e in info.value.errors)


def test_bad_yaml_in_lock_names_the_line(tmp_path):
    path = tmp_path / "wippy.lock"
    path.write_text("directories:\n  src: ./src\n  modules: [\n")
    with pytest.raises(ConfigErrors) as info:
        read_lock(path)
    assert f"{path}:4: invalid YAML" in str(info.value)


def test_load_paths_replacements_vendored_and_missing_modules(tmp_path):
    (tmp_path / "lib" / "src").mkdir(parents=True)
    (tmp_path / ".wippy" / "vendor" / "acme" / "tools").mkdir(parents=True)
    path = tmp_path / "wippy.lock"
    path.write_text("directories: {modules: .wippy, src: ./src}\n"
                    "modules:\n  - {name: acme/lib, version: v1}\n  - {name: acme/tools, version: v2}\n"
                    "replacements:\n  - {from: acme/lib, to: ./lib}\n")
    lock = read_lock(path)
    assert lock.load_paths() == [(tmp_path / "src").resolve(), (tmp_path / "lib" / "src").resolve(),
                                 (tmp_path / ".wippy" / "vendor" / "acme" / "tools").resolve()]
    lock.modules.append({"name": "acme/hub", "version": "v3"})
    with pytest.raises(ConfigErrors) as info:
        lock.load_paths()
    assert "module acme/hub v3 is not in " in str(info.value)
    assert "downloading hub modules and .wapp packs is not supported" in str(info.value)
