"""LuaLS signatures of the `errors` module (docs/modules/errors.md); wippy/lua/stubs reads them."""
SIGNATURES = """
new(message: string|{message: string, kind?: string, retryable?: boolean, details?: table}): error
wrap(err: error|string, context: string): error
is(err: any, kind: string): boolean
call_stack(err: error): table?
"""
SIGNATURES += """
class errors.Error  -- an error object (`error` in other stubs)
  kind(): string
  message(): string
  retryable(): boolean?
  details(): table?
  stack(): string
"""
