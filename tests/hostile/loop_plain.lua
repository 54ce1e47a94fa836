-- attack: while true do end
-- expect: timeout
while true do end
