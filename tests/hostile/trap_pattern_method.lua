-- attack: same backtracking pattern through the string method syntax
-- expect: error "pattern too complex"
return (("a"):rep(26)):match(("a*"):rep(26) .. "b")
