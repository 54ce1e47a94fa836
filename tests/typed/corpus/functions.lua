-- Function types, multiple returns, variadics, generics, never
local function add(a: number, b: number): number
    return a + b
end
local function div_mod(a: number, b: number): (number, number)
    return math.floor(a / b), a % b
end
local function fetch(url: string): (string?, error?)
    return nil, nil
end
local double: (number) -> number = function(x: number): number
    return x * 2
end
local function sum(...: number): number
    local total: number = 0
    for _, v in ipairs({...}) do
        total = total + v
    end
    return total
end
local function identity<T>(x: T): T
    return x
end
type HasName = {name: string}
local function greet<T: HasName>(obj: T): string
    return "Hello, " .. obj.name
end
function fail(msg: string): never
    error(msg)
end
local pair: <K, V>(K, V) -> {[K]: V}
local cb: (name: string, ...any) -> (boolean, string?)
local f2 = function<T>(x: T, y: T?): T return x end
function M_method(self: any, ...: string): ...string return ... end
local function ask(req: {prompt: string?}): string?, string?
    return nil, nil
end
