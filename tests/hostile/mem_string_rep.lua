-- attack: string.rep allocates 1 GiB
-- expect: error "not enough memory"
return #string.rep("x", 2^30)
