-- attack: xpcall with a handler swallows the timeout
-- expect: timeout
while true do xpcall(function() while true do end end, function(e) return e end) end
