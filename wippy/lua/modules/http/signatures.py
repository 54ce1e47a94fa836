"""LuaLS signatures of the `http` module (docs/modules/http.md); wippy/lua/stubs reads them."""
SIGNATURES = """
request(options?: {max_body?: integer, timeout?: integer}): http.Request?, error?  -- the request of this HTTP call
response(): http.Response?, error?  -- the response of this HTTP call

class http.Request
  method(): string
  path(): string  -- the URL path, decoded, without the query
  host(): string
  remote_addr(): string
  query(key: string): string?, error?  -- first value; nil if absent
  query_params(): table<string, string>
  header(name: string): string?  -- case-insensitive
  headers(): table<string, string>
  content_type(): string?
  content_length(): integer
  body(): string?, error?
  body_json(): any, error?
  has_body(): boolean
  accepts(content_type: string): boolean
  is_content_type(prefix: string): boolean
  param(name: string): string?  -- a route parameter ({id} in the path)
  params(): table<string, string>
  stream(): nil, error
  parse_multipart(): nil, error

class http.Response
  set_status(code: integer): error?
  set_header(name: string, value: string): error?
  set_content_type(content_type: string): error?
  write(data: string|number): error?
  write_json(value: any): error?
  flush(): error?
  set_transfer(transfer: string): error?  -- http.TRANSFER.CHUNKED or http.TRANSFER.SSE
  write_event(event: {name?: string, data: any}): error?
"""
