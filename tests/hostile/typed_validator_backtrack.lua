-- attack: a validator pattern that backtracks: type checks run the guarded matcher
-- expect: error "pattern too complex"
type Evil = string @pattern("a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b")
return Evil(("a"):rep(26))
