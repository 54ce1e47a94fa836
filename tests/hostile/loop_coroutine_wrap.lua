-- attack: a loop inside a new coroutine (hooks are per coroutine)
-- expect: timeout
coroutine.wrap(function() while true do end end)()
