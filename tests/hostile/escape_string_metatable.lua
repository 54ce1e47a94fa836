-- attack: the shared string metatable leads to the real string library
-- expect: error "attempt to index a nil value"
return getmetatable("").__index.rep
