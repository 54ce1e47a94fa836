-- attack: pcall swallows the timeout error and loops again
-- expect: timeout
while true do pcall(function() while true do end end) end
