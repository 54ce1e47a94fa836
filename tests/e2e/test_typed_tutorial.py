"""The task-queue tutorial with its Lua rewritten in Wippy's typed Lua (type
aliases, annotations, casts, `!`, validators, runtime casts and :is) must answer
exactly as the untyped tutorial: the same tests run against it."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from .conftest import EXAMPLE, make_project
# The tutorial's own tests, collected again here against the typed project.
from .test_tutorial import (  # noqa: F401
    test_list_is_newest_first_and_filters_by_status,
    test_malformed_json_and_missing_action_answer_400,
    test_migration_runs_once_and_is_not_restarted,
    test_post_returns_202_with_uuid4_as_json,
    test_routing_404_405_head_options,
    test_sigterm_stops_cleanly_with_exit_code_0,
    test_sum_keeps_integers_and_unknown_actions_are_processed,
    test_uppercase_task_is_processed_and_listed,
)

TYPED = Path(__file__).parent / "typed_task_queue"


@pytest.fixture
def project(tmp_path):
    src = tmp_path / "typed-src"
    shutil.copytree(EXAMPLE / "src", src)
    for lua in TYPED.glob("*.lua"):
        assert (src / lua.name).exists(), f"{lua.name} replaces a tutorial file"
        shutil.copy(lua, src / lua.name)
    return make_project(tmp_path, src)


def test_the_project_runs_typed_sources(project):
    create = (project / "src" / "create_task.lua").read_text()
    assert "type Task = {id: string @min_len(1)" in create
