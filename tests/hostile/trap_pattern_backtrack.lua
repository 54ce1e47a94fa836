-- attack: backtracking pattern: C code the count hook never reaches
-- expect: error "pattern too complex"
return string.find(("a"):rep(26), ("a*"):rep(26) .. "b")
