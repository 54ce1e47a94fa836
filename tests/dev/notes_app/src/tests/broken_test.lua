local test = require("test")
local calc = require("calc")

local function define_tests()
    test.describe("broken", function()
        test.it("adds numbers", function()
            test.eq(calc.add(2, 2), 4)
        end)

        test.it("expects the wrong sum", function()
            test.eq(calc.add(2, 2), 5, "two and two")
        end)
    end)
end

return { run = test.run_cases(define_tests) }
