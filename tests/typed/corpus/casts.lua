-- Non-nil assertion, safe casts, :is, unsafe casts, reflection
type User = {name: string}
type Point = {x: number, y: number}
local user: User? = get_user()
local name = (user!).name
local name2 = user!.name
local data: any = get_json()
local user2 = User(data)
local x: any = get_value()
local s = string(x)
local n = integer(x)
local b = boolean(x)
local p = Point(data)
local p2, err = Point:is(data)
if Point:is(data) then
    local q: Point = data
end
local user3 = data :: User
local user4 = data as User
local sum = (data :: Point).x + (data as Point).y
print(Number:kind(), Point:kind(), Point:name())
for fname, typ in User:fields() do print(fname, typ:kind()) end
local nameType = User.name
local arr: {number} = {1, 2, 3}
print(typeof(arr):elem():kind())
local map: {[string]: number} = {}
print(typeof(map):key():kind(), typeof(map):val():kind())
local opt: number? = nil
print(typeof(opt):inner():kind())
local fn: (number, string) -> boolean
for param in typeof(fn):params() do print(param:kind()) end
print(Number == Number, Integer <= Number, Integer < Number)
local handlers = {}
handlers[Number] = function() return "number handler" end
local h = handlers[typeof(42)]
