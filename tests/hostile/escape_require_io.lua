-- attack: require("io") returns the real io library
-- expect: error "module 'io' not found"
return require("io").open("$TMP/canary", "w")
