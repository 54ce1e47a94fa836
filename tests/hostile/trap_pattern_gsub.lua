-- attack: backtracking pattern in gsub on a longer subject
-- expect: error "pattern too complex"
return (("a"):rep(5000)):gsub("a*a*a*b", "")
