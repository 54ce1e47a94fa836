"""LuaLS signatures of the `funcs` module (docs/modules/funcs.md); wippy/lua/stubs reads them."""
SIGNATURES = """
call(target: string, ...: any): any, error?  -- call a function entry ("ns:name")
async(target: string, ...: any): funcs.Future?, error?
new(): funcs.Executor

class funcs.Executor
  with_context(values: table<string, any>): funcs.Executor
  with_options(options: {timeout?: integer}): funcs.Executor
  with_actor(actor: any): nil, error
  with_scope(scope: any): nil, error
  call(target: string, ...: any): any, error?
  async(target: string, ...: any): funcs.Future?, error?

class funcs.Future
  response(): channel.Channel
  channel(): channel.Channel
  is_complete(): boolean
  is_canceled(): boolean
  result(): any, error?
  error(): error?, boolean
  cancel(): boolean, error?
"""
