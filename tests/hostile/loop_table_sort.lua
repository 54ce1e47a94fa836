-- attack: table.sort with a comparator that loops
-- expect: timeout
local t = {3, 2, 1}
table.sort(t, function() while true do end end)
