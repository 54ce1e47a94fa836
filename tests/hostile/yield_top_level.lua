-- attack: coroutine.yield at the top level of a handler
-- expect: error "attempt to yield from outside a coroutine"
coroutine.yield("fake")
