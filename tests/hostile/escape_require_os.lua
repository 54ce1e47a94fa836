-- attack: require("os") returns the real os library
-- expect: error "module 'os' not found"
return require("os").execute("touch $TMP/canary")
