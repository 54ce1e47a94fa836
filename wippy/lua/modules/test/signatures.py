"""LuaLS signatures of the `test` module (docs/modules/test.md); wippy/lua/stubs reads them."""
SIGNATURES = """
describe(name: string, fn: fun())  -- a suite; nest them freely
spec(name: string, fn: fun())  -- alias of describe
context(name: string, fn: fun())  -- alias of describe
it(name: string, fn: fun())  -- a case
it_skip(name: string, fn?: fun())  -- a case reported as skipped, not run
before_all(fn: fun())
after_all(fn: fun())
before_each(fn: fun())
after_each(fn: fun())
run_cases(define: fun()): fun(options?: table): test.Result
eq(actual: any, expected: any, msg?: string)
neq(actual: any, expected: any, msg?: string)
ok(value: any, msg?: string)
fail(msg?: string)
is_nil(value: any, msg?: string)
not_nil(value: any, msg?: string)
is_true(value: any, msg?: string)
is_false(value: any, msg?: string)
is_string(value: any, msg?: string): string
is_number(value: any, msg?: string): number
is_table(value: any, msg?: string): table
is_function(value: any, msg?: string): function
is_boolean(value: any, msg?: string): boolean
contains(s: string|error, substr: string, msg?: string)
matches(s: string|error, pattern: string, msg?: string)
has_key(t: table, key: any, msg?: string)
len(value: table|string, expected: integer, msg?: string)
gt(a: number, b: number, msg?: string)
gte(a: number, b: number, msg?: string)
lt(a: number, b: number, msg?: string)
lte(a: number, b: number, msg?: string)
throws(fn: fun(), msg?: string): any  -- the error fn raised
has_error(value: any, err: any, msg?: string)
no_error(value: any, err: any, msg?: string)
mock(path: string, replacement: any)  -- "process.send": replaced for this case
mock_process(field: string, replacement: any)
restore_mock(path: string)
restore_all_mocks()

class test.Result
  field total_tests: integer
  field passed_tests: integer
  field failed_tests: integer
  field skipped_tests: integer
  field duration_ms: integer
  field tests: table[]
"""
