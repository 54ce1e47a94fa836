-- attack: catch the timeout from coroutine.resume and retry forever
-- expect: timeout
while true do
    local co = coroutine.create(function() while true do end end)
    coroutine.resume(co)
end
