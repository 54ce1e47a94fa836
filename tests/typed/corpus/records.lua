-- Records, optional fields, arrays, maps, intersections, tagged unions, literals
type User = {name: string, age: number}
local u: User = {name = "alice", age = 25}
type Config = {
    host: string,
    port: number,
    timeout?: number,
    debug?: boolean
}
type Status = "pending" | "active" | "done"
type Named = {name: string}
type Aged = {age: number}
type Person = Named & Aged
type Result<T, E> =
    {ok: true, value: T}
    | {ok: false, error: E}
type LoadState =
    {status: "loading"}
    | {status: "loaded", data: User}
    | {status: "error", message: string}
type StringArray = {string}
type StringMap = {[string]: number}
type Mixed = {id: integer; tags: {string}, [string]: any}
type Nested = {items: {{x: number, y: number}}, lookup: {[string]: {number}}}
type Code = 200 | 404 | -1
type Flag = true | false | nil
type Ro = {read id: string, write count: number}
type Tree = {value: number, children: {Tree}}
export type Public = {x: number}
type Callback = (ev: string) -> ()
type Multi = {f: (number, string) -> boolean}
type Qualified = json.Value
type Generic = Result<string, Map<string, {number}>>
local r: Result<number, string> = {ok = true, value = 1}
local function render(state: LoadState): string
    if state.status == "loading" then
        return "Loading..."
    elseif state.status == "loaded" then
        return "Hello, " .. state.data.name
    end
    return "Error: " .. state.message
end
