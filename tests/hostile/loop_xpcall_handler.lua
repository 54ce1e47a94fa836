-- attack: the xpcall message handler itself loops
-- expect: timeout
return xpcall(error, function() while true do end end)
