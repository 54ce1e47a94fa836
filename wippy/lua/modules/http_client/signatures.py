"""LuaLS signatures of the `http_client` module (docs/modules/http_client.md); wippy/lua/stubs reads them."""
SIGNATURES = """
get(url: string, options?: table): http_client.Response?, error?
post(url: string, options?: table): http_client.Response?, error?
put(url: string, options?: table): http_client.Response?, error?
patch(url: string, options?: table): http_client.Response?, error?
delete(url: string, options?: table): http_client.Response?, error?
head(url: string, options?: table): http_client.Response?, error?
request(method: string, url: string, options?: table): http_client.Response?, error?
request_batch(requests: table[]): http_client.Response[], table?
encode_uri(s: string): string
decode_uri(s: string): string?, error?

class http_client.Response
  field status_code: integer
  field body: string?
  field headers: table<string, string>
  field url: string
  field body_size: integer
  field cookies: table<string, string>
"""
