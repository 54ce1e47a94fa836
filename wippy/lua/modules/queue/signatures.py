"""LuaLS signatures of the `queue` module (docs/modules/queue.md); wippy/lua/stubs reads them."""
SIGNATURES = """
publish(queue_id: string, data: any, headers?: table<string, any>): boolean?, error?
message(): queue.Message?, error?  -- the message this consumer call handles
info(queue_id: string): table?, error?

class queue.Message
  id(): string
  header(key: string): any
  headers(): table<string, any>
  ack(): boolean?, error?
  nack(): boolean?, error?
  attempt(): integer
"""
