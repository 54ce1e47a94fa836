-- attack: backtracking pattern in gmatch
-- expect: error "pattern too complex"
for m in (("a"):rep(200)):gmatch("a-a-a-a-a-a-b") do end
