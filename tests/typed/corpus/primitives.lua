-- Primitives, any/unknown, nil safety, narrowing
local n: number = 3.14
local i: integer = 42
local s: string = "hello"
local b: boolean = true
local a: any = "anything"
local u: unknown = something
local y: number? = nil
local z: number? = 42
local function process(x: number?): number
    if x ~= nil then
        return x
    end
    return 0
end
local val: number | string = get_value()
if type(val) == "number" then
    print(val + 1)
else
    print(val:upper())
end
local v2 = get_value() or 0
