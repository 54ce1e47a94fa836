"""Every function and constant the Lua modules really hold, read from a real Lua state."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass, field
from typing import Any

# Lua side: walk each module table (frozen proxies iterate through __pairs) and
# list "path", kind, Lua type of constants, and a constant's value.
WALK = '''
local MODS, PROBES = ...
local function walk(t, prefix, out, seen)
  for k, v in pairs(t) do
    if type(k) == "string" then
      local name = prefix == "" and k or prefix .. "." .. k
      local tv = type(v)
      if tv == "function" then out[#out + 1] = {name, "function"}
      elseif tv == "table" then
        if not seen[v] then seen[v] = true; out[#out + 1] = {name, "table"}; walk(v, name, out, seen) end
      elseif tv == "number" then out[#out + 1] = {name, math.type(v), v}
      elseif tv == "string" or tv == "boolean" then out[#out + 1] = {name, tv, v}
      end
    end
  end
end
local function main()
  local result = {}
  for _, m in ipairs(MODS) do
    local out, mod, listed = {}, require(m), {}
    walk(mod, "", out, {})
    for _, item in ipairs(out) do listed[item[1]] = true end
    -- Names pairs() cannot see (an object module such as logger, whose functions
    -- sit behind a protected __index) count when indexing finds a function.
    for _, path in ipairs(PROBES[m] or {}) do
      local v = mod
      for part in path:gmatch("[^.]+") do
        if type(v) ~= "table" then v = nil; break end
        v = v[part]
      end
      if type(v) == "function" and not listed[path] then out[#out + 1] = {path, "function"} end
    end
    result[m] = out
  end
  return result
end
return {main = main}
'''


@dataclass
class ModuleShape:
    """What one module table holds: dotted paths of functions, sub-tables, constants."""
    name: str
    functions: list[str] = field(default_factory=list)
    tables: list[str] = field(default_factory=list)
    constants: dict[str, tuple[str, Any]] = field(default_factory=dict)   # path -> (type, value)


def _lua_list(items: list[str]) -> str:
    return "{" + ", ".join(json.dumps(i) for i in items) + "}"


async def _walk(modules: dict[str, Any]) -> dict[str, ModuleShape]:
    from ..engine import LuaEngine
    from .signatures import module_signatures
    names = list(modules)
    probes = {}
    for name, module in modules.items():
        sigs = module_signatures(module)
        probes[name] = list(sigs.functions) if sigs else []
    source = ("local MODS, PROBES = " + _lua_list(names) + ", {"
              + ", ".join(f"[{json.dumps(n)}] = {_lua_list(p)}" for n, p in probes.items())
              + "}\n" + WALK.replace("local MODS, PROBES = ...\n", ""))
    engine = LuaEngine({}, modules, workers=1)
    await engine.start()
    try:
        fdef = engine.define("wippy.stubs:walk", source, "main", names)
        result = await engine.call(fdef, [])
    finally:
        await engine.close()
    if result.error is not None:
        raise RuntimeError(f"could not read the module tables: {result.error}")
    shapes = {}
    for name in names:
        shape = ModuleShape(name)
        for item in (result.values[0] or {}).get(name) or []:
            path, kind = item[0], item[1]
            if kind == "function":
                shape.functions.append(path)
            elif kind == "table":
                shape.tables.append(path)
            else:
                shape.constants[path] = (kind, item[2] if len(item) > 2 else None)
        shape.functions.sort()
        shape.tables.sort()
        shapes[name] = shape
    return shapes


def module_shapes(modules: dict[str, Any] | None = None) -> dict[str, ModuleShape]:
    """Module name -> its shape, for `modules` (default: every built-in module)."""
    if modules is None:
        from ..modules import MODULES as modules
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(_walk(modules))
    raise RuntimeError("module_shapes() runs its own event loop; call it outside one")
