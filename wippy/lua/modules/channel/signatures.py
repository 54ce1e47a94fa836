"""LuaLS signatures of the `channel` module (docs/modules/channel.md); wippy/lua/stubs reads them."""
SIGNATURES = """
new(size?: integer): channel.Channel
select(cases: table): {channel?: channel.Channel, value?: any, ok: boolean, default?: boolean}

class channel.Channel
  send(value: any): boolean
  receive(): any, boolean
  close()
  case_receive(): table
  case_send(value: any): table
"""
