"""LuaLS signatures of the `io` module (docs/modules/io.md); wippy/lua/stubs reads them."""
SIGNATURES = """
print(...: any): boolean?, error?                -- values, tab-separated, then a newline, to stdout
write(...: any): boolean?, error?                -- values, nothing between, to stdout
eprint(...: any): boolean?, error?               -- values, tab-separated, then a newline, to stderr
readline(): string?, error?                      -- the next line of stdin; nil, err at the end of input
read(n?: integer): string?, error?               -- up to n bytes of stdin (default 1024)
flush(): boolean?, error?
args(): string[]                                 -- the program's command-line arguments
raw(enable?: boolean): boolean?, error?          -- raw terminal mode (reference-counted)
"""
