-- The typed forms Wippy's official example apps use (wippy-projects/examples, 2026-12),
-- written anew for this test so it covers them when no checkout of that repository exists
local http = require("http")
type Order = {ref: string, kind: string, meta: {[string]: any}, placed_at: integer}
type Line = {code: string, label: string, cost: number, count: integer}
type Tally = {seen: integer, spawned: integer}
type Digest = {total: integer, by_kind: {[string]: integer}, worst: integer}
local PALETTE: {[string]: {fill: string, edge: string}} = {
    a = {fill = "#fff", edge = "#000"},
}
local tally: Tally = {
    seen = 0,
    spawned = 0,
}
local function size_of(t: {[string]: any}): integer
    local n = 0
    for _ in pairs(t) do n = n + 1 end
    return n
end
local function colors_of(kind: string): (string, string)
    local c = PALETTE[kind] or PALETTE.a
    return c.fill, c.edge
end
local function ask(req: {prompt: string?, system: string?, history: {any}?}): string?, string?
    return req.prompt, nil
end
local function walk(lang: string, node: treesitter.Node, text: string)
    return lang, node, text
end
local function tick(owner: string, every: string): integer
    local level: number = tonumber("3") or 0
    local next_level: number = level + 1
    local counts: {[string]: integer} = {}
    local seen: integer = counts[owner] or 0
    return seen + next_level // 1
end
local function handle(job: Order): boolean
    return job.ref ~= nil
end
local function pick(lo: number, hi: number): number
    return lo + (hi - lo) / 2
end
return {size_of = size_of, colors_of = colors_of, ask = ask, walk = walk, tick = tick,
        handle = handle, pick = pick, http = http, tally = tally}
