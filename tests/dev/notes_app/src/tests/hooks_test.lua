local test = require("test")

local function define_tests()
    local log = {}
    test.describe("outer", function()
        test.before_each(function() log[#log + 1] = "outer+" end)
        test.after_each(function() log[#log + 1] = "outer-" end)

        test.describe("inner", function()
            test.before_each(function() log[#log + 1] = "inner+" end)
            test.after_each(function() log[#log + 1] = "inner-" end)
            test.it("runs hooks outer first", function()
                test.eq(log, {"outer+", "inner+"})
            end)
        end)

        test.it("ran after hooks inner first", function()
            test.eq(log, {"outer+", "inner+", "inner-", "outer-", "outer+"})
        end)

        test.it("mocks a module function for one case", function()
            test.mock("uuid.v4", function() return "not-random" end)
            test.eq(uuid.v4(), "not-random")
        end)

        test.it("restores mocks after the case", function()
            test.neq(uuid.v4(), "not-random")
            test.len(uuid.v4(), 36)
        end)

        test.it("calls the app through funcs", function()
            local sum, err = funcs.call("app:add", 20, 22)
            test.no_error(sum, err)
            test.eq(sum, 42)
        end)

        test.it("asserts errors", function()
            local err = test.throws(function() error("boom") end)
            test.matches(err, "boom$")
            test.gt(2, 1)
            test.lte(1, 1)
            test.has_key({a = 1}, "a")
            test.is_string(test.is_string("s"))
        end)
    end)
end

local run_cases = test.run_cases(define_tests)

-- The framework page's shape: raise when a case failed.
local function run(options)
    local result = run_cases(options)
    if result.failed_tests > 0 then
        error("tests failed: " .. result.failed_tests)
    end
    return result
end

return { run = run }
