-- attack: the entry source is a precompiled binary chunk (string.dump output)
-- expect: error "attempt to load a binary chunk"
-- source: bytecode
return "bytecode ran"
